from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from web.schemas.admin_users import Email
from web.schemas.common import Body, Ident, ProjectPath

MemberRole = Literal["editor", "viewer"]


class MemberAdd(Body):
    email: Email
    role: MemberRole = "viewer"


class MemberUpdate(Body):
    role: MemberRole


class MemberPath(ProjectPath):
    userId: Ident


class InvitationPath(ProjectPath):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
