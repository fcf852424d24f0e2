"""Organizations: teams whose admins edit its projects and whose members read them.

Global admins manage every organization (DESIGN.md: "admin manages users, organizations"); an
organization's own admins manage its name, members and default credential. Anyone else is told
the organization does not exist, as with projects, so ids do not leak.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Organization, OrgMember, Project, User
from orchestrator.access import Actor, require_admin
from orchestrator.credentials import require_usable_credential
from orchestrator.errors import Conflict, Forbidden, NotFound
from orchestrator.users import find_user_by_email

ORG_ROLES = ("admin", "member")


def my_role(session: Session, actor: Actor, org_id: str) -> str | None:
    if actor.user_id is None:
        return None
    return session.scalar(select(OrgMember.role).where(OrgMember.org_id == org_id, OrgMember.user_id == actor.user_id))


def list_organizations(session: Session, actor: Actor) -> list[tuple[Organization, str | None]]:
    """Each organization the actor belongs to (every one, for admins) with the actor's role in it."""
    mine = dict(session.execute(select(OrgMember.org_id, OrgMember.role)
                                .where(OrgMember.user_id == actor.user_id)).tuples().all()) if actor.user_id else {}
    query = select(Organization).order_by(Organization.name, Organization.id)
    if not actor.is_admin:
        query = query.where(Organization.id.in_(list(mine)))
    return [(org, mine.get(org.id)) for org in session.scalars(query)]


def create_organization(session: Session, actor: Actor, name: str) -> Organization:
    """A new organization; its creator (when a user) is its first admin."""
    require_admin(actor, "creating an organization")
    org = Organization(name=name)
    session.add(org)
    session.flush()
    if actor.user_id:
        session.add(OrgMember(org_id=org.id, user_id=actor.user_id, role="admin"))
    return org


def get_organization(session: Session, actor: Actor, org_id: str, manage: bool = False) -> Organization:
    """The organization if the actor may see it (`manage`: and change it)."""
    org = session.get(Organization, org_id)
    role = my_role(session, actor, org_id) if org is not None else None
    if org is None or (role is None and not actor.is_admin):
        raise NotFound.of("organization", org_id)
    if manage and role != "admin" and not actor.is_admin:
        raise Forbidden(f"managing organization {org_id} needs its admin role; you are a {role}")
    return org


def update_organization(session: Session, actor: Actor, org_id: str, changes: dict[str, Any]) -> Organization:
    org = get_organization(session, actor, org_id, manage=True)
    if "name" in changes:
        org.name = changes["name"]
    return org


def delete_organization(session: Session, actor: Actor, org_id: str) -> None:
    org = get_organization(session, actor, org_id, manage=True)
    count = session.scalar(select(func.count()).select_from(Project).where(Project.organization_id == org_id))
    if count:
        raise Conflict(f"organization {org_id} still has {count} project(s); move or delete them first",
                       code="organization_has_projects")
    session.delete(org)


def set_default_credential(session: Session, actor: Actor, org_id: str, credential_id: str | None) -> Organization:
    """The credential its projects' sessions fall back on (card → column → project → organization)."""
    org = get_organization(session, actor, org_id, manage=True)
    if credential_id:
        require_usable_credential(session, actor, credential_id)
    org.default_credential_id = credential_id
    return org


# Members ---------------------------------------------------------------------------------------


def list_members(session: Session, actor: Actor, org_id: str) -> list[tuple[OrgMember, User]]:
    get_organization(session, actor, org_id)
    rows = session.execute(select(OrgMember, User).join(User, User.id == OrgMember.user_id)
                           .where(OrgMember.org_id == org_id).order_by(OrgMember.created_at, User.email))
    return [(member, user) for member, user in rows.tuples()]


def add_member(session: Session, actor: Actor, org_id: str, email: str, role: str) -> tuple[OrgMember, User]:
    get_organization(session, actor, org_id, manage=True)
    user = find_user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email.strip().lower()}; they must register first",
                       code="user_not_found")
    if session.get(OrgMember, (org_id, user.id)) is not None:
        raise Conflict(f"{user.email} is already a member of organization {org_id}", code="already_member")
    member = OrgMember(org_id=org_id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return member, user


def change_member_role(session: Session, actor: Actor, org_id: str, user_id: str, role: str) -> tuple[OrgMember, User]:
    get_organization(session, actor, org_id, manage=True)
    member = _member(session, org_id, user_id)
    if member.role == "admin" and role != "admin":
        _require_another_admin(session, member, "demote")
    member.role = role
    return member, session.get(User, user_id)  # type: ignore[return-value]


def remove_member(session: Session, actor: Actor, org_id: str, user_id: str) -> None:
    """Admins remove anyone; a member may leave on their own."""
    get_organization(session, actor, org_id, manage=actor.user_id != user_id)
    member = _member(session, org_id, user_id)
    if member.role == "admin":
        _require_another_admin(session, member, "remove")
    session.delete(member)


def _member(session: Session, org_id: str, user_id: str) -> OrgMember:
    member = session.get(OrgMember, (org_id, user_id))
    if member is None:
        raise NotFound(f"user {user_id} is not a member of organization {org_id}")
    return member


def _require_another_admin(session: Session, member: OrgMember, verb: str) -> None:
    others = session.scalar(select(func.count()).select_from(OrgMember).where(
        OrgMember.org_id == member.org_id, OrgMember.role == "admin", OrgMember.user_id != member.user_id)) or 0
    if not others:
        raise Conflict(f"cannot {verb} the last admin of organization {member.org_id}; make another admin first",
                       code="last_org_admin")
