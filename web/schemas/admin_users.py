from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from web.schemas.common import Body, Name

Role = Literal["super_admin", "admin", "user"]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class UserListQuery(BaseModel):
    search: Annotated[str, StringConstraints(max_length=200)] = Field("", description="part of a name or email")
    offset: int = Field(0, ge=0, le=1_000_000_000, description="users to skip")
    limit: int = Field(50, ge=1, le=100, description="users to return (at most 100)")


class AdminUserCreate(Body):
    email: Email
    name: Name
    role: Role


class AdminUserUpdate(Body):
    name: Name | None = None
    role: Role | None = None


class UserSearchQuery(BaseModel):
    q: Annotated[str, StringConstraints(max_length=200)] = Field("", description="part of a name or email")
