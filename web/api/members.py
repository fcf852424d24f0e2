"""Project Members and invitations."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import members
from orchestrator.members import Person
from web.context import actor, db
from web.responses import created, no_content, ok
from web.schemas.common import IdPath
from web.schemas.members import InvitationPath, MemberAdd, MemberPath, MemberUpdate

bp = APIBlueprint("members", __name__, url_prefix="/api/projects", abp_tags=[Tag(name="Project Members")],
                  abp_security=[{"bearer": []}])


def person_json(person: Person) -> dict[str, Any]:
    return {"userId": person.user_id, "email": person.email, "displayName": person.display_name,
            "role": person.role, "status": person.status}


@bp.get("/<id>/members")
def list_members(path: IdPath):  # type: ignore[no-untyped-def]
    return ok([person_json(p) for p in members.list_people(db(), actor(), path.id)])


@bp.post("/<id>/members")
def add_member(path: IdPath, body: MemberAdd):  # type: ignore[no-untyped-def]
    return created(person_json(members.add_person(db(), actor(), path.id, body.email, body.role)))


@bp.patch("/<projectId>/members/<userId>")
def update_member(path: MemberPath, body: MemberUpdate):  # type: ignore[no-untyped-def]
    return ok(person_json(members.change_role(db(), actor(), path.projectId, path.userId, body.role)))


@bp.delete("/<projectId>/members/<userId>")
def remove_member(path: MemberPath):  # type: ignore[no-untyped-def]
    members.remove_member(db(), actor(), path.projectId, path.userId)
    return no_content()


@bp.delete("/<projectId>/invitations/<email>")
def revoke_invitation(path: InvitationPath):  # type: ignore[no-untyped-def]
    members.revoke_invitation(db(), actor(), path.projectId, path.email)
    return no_content()
