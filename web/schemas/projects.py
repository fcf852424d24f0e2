from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from web.schemas.common import Body, Ident, Name, Text

Glob = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class ProjectCreate(Body):
    name: Name
    path: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="absolute path of an existing git repository"
    )
    organizationId: Ident | None = None
    description: Text | None = None
    templateId: Ident | None = Field(None, description="template of the first board")


class ProjectUpdate(Body):
    name: Name | None = None
    description: Text | None = None
    baseBranch: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    defaultCredentialId: Ident | None = None
    worktreeInclude: list[Glob] | None = Field(None, description="ignored files to copy into worktrees")
    maxConcurrentSessions: Annotated[int, Field(ge=1, le=100)] | None = None


class CredentialRef(Body):
    credentialId: Ident | None


class ProjectListQuery(BaseModel):
    organizationId: Ident | None = None


class BoardCreate(Body):
    name: Name
    templateId: Ident | None = None


class BoardUpdate(Body):
    name: Name
