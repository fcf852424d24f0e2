"""Organizations, their members and their default credential."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Organization, OrgMember, User
from orchestrator import organizations
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.common import IdPath
from web.schemas.organizations import (
    DefaultCredentialBody,
    OrganizationCreate,
    OrganizationUpdate,
    OrgMemberAdd,
    OrgMemberPath,
    OrgMemberUpdate,
    OrgPath,
)

bp = APIBlueprint("organizations", __name__, url_prefix="/api/organizations",
                  abp_tags=[Tag(name="Organizations")], abp_security=[{"bearer": []}])


def organization_json(org: Organization, role: str | None) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "defaultCredentialId": org.default_credential_id,
        "role": role,
        "createdAt": iso(org.created_at),
        "updatedAt": iso(org.updated_at),
    }


def member_json(member: OrgMember, user: User) -> dict[str, Any]:
    return {"userId": user.id, "email": user.email, "displayName": user.display_name, "role": member.role,
            "joinedAt": iso(member.created_at)}


def _one(org: Organization) -> dict[str, Any]:
    return organization_json(org, organizations.my_role(db(), actor(), org.id))


@bp.get("")
def list_organizations():  # type: ignore[no-untyped-def]
    return ok([organization_json(org, role) for org, role in organizations.list_organizations(db(), actor())])


@bp.post("")
def create_organization(body: OrganizationCreate):  # type: ignore[no-untyped-def]
    return created(_one(organizations.create_organization(db(), actor(), body.name)))


@bp.get("/<id>")
def get_organization(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(_one(organizations.get_organization(db(), actor(), path.id)))


@bp.patch("/<id>")
def update_organization(path: IdPath, body: OrganizationUpdate):  # type: ignore[no-untyped-def]
    return ok(_one(organizations.update_organization(db(), actor(), path.id, body.changes())))


@bp.delete("/<id>")
def delete_organization(path: IdPath):  # type: ignore[no-untyped-def]
    organizations.delete_organization(db(), actor(), path.id)
    return no_content()


@bp.put("/<orgId>/default-credential")
def set_default_credential(path: OrgPath, body: DefaultCredentialBody):  # type: ignore[no-untyped-def]
    return ok(_one(organizations.set_default_credential(db(), actor(), path.orgId, body.credentialId)))


@bp.get("/<id>/members")
def list_members(path: IdPath):  # type: ignore[no-untyped-def]
    return ok([member_json(m, u) for m, u in organizations.list_members(db(), actor(), path.id)])


@bp.post("/<id>/members")
def add_member(path: IdPath, body: OrgMemberAdd):  # type: ignore[no-untyped-def]
    return created(member_json(*organizations.add_member(db(), actor(), path.id, body.email, body.role)))


@bp.patch("/<id>/members/<userId>")
def update_member(path: OrgMemberPath, body: OrgMemberUpdate):  # type: ignore[no-untyped-def]
    return ok(member_json(*organizations.change_member_role(db(), actor(), path.id, path.userId, body.role)))


@bp.delete("/<id>/members/<userId>")
def remove_member(path: OrgMemberPath):  # type: ignore[no-untyped-def]
    organizations.remove_member(db(), actor(), path.id, path.userId)
    return no_content()
