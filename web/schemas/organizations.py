from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from web.schemas.admin_users import Email
from web.schemas.common import Body, Ident, Name

OrgRole = Literal["admin", "member"]


class OrganizationCreate(Body):
    name: Name


class OrganizationUpdate(Body):
    name: Name | None = None


class OrgMemberAdd(Body):
    email: Email
    role: OrgRole = "member"


class OrgMemberUpdate(Body):
    role: OrgRole


class DefaultCredentialBody(Body):
    credentialId: Ident | None = Field(description="the credential its projects fall back on; null clears it")


class OrgPath(BaseModel):
    orgId: Ident


class OrgMemberPath(BaseModel):
    id: Ident
    userId: Ident


class OrgHeader(BaseModel):
    """`X-Organization-Id`: the organization a client works in, for routes that take one."""

    organization_id: Ident | None = Field(None, alias="X-Organization-Id")
