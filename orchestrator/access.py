"""Who may see and change what.

The rules are pure functions over plain values (tested as tables); `require_project` applies them
to the database. A project the actor may not see is reported as not found, so ids do not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from models import OrgMember, Project, ProjectMember
from orchestrator.errors import Forbidden, NotFound

T = TypeVar("T")
ROLES = ("super_admin", "admin", "user")
PROJECT_ROLES = ("viewer", "editor", "owner")  # weakest first
ORG_ROLE_TO_PROJECT_ROLE = {"admin": "editor", "member": "viewer"}


@dataclass(frozen=True)
class Actor:
    """The one doing a request or job. With auth off, the machine's developer is `LOCAL`."""

    kind: str  # user | api_key | agent | system | anonymous
    user_id: str | None = None
    role: str | None = None  # for users: super_admin | admin | user
    name: str = ""
    local: bool = False
    key_id: str | None = None  # an `ak_` key acting within its owner's rights (kind api_key)

    @property
    def is_super_admin(self) -> bool:
        return self.role == "super_admin"

    @property
    def is_admin(self) -> bool:
        return self.role in ("super_admin", "admin")

    @property
    def history_id(self) -> str | None:
        return self.key_id or self.user_id or (self.name or None)


LOCAL = Actor(kind="user", role="super_admin", name="local", local=True)
SYSTEM = Actor(kind="system", role="super_admin", name="switchyard")
ANONYMOUS = Actor(kind="anonymous")


def stronger(a: str | None, b: str | None) -> str | None:
    ranked = [r for r in (a, b) if r is not None]
    return max(ranked, key=PROJECT_ROLES.index) if ranked else None


def effective_project_role(
    *, is_super_admin: bool, is_owner: bool, member_role: str | None, org_role: str | None
) -> str | None:
    """The strongest of the ways a user relates to a project; None means invisible."""
    if is_super_admin or is_owner:
        return "owner"
    return stronger(member_role, ORG_ROLE_TO_PROJECT_ROLE.get(org_role or ""))


def allows(role: str | None, need: str) -> bool:
    return role is not None and PROJECT_ROLES.index(role) >= PROJECT_ROLES.index(need)


def project_role(session: Session, actor: Actor, project: Project) -> str | None:
    return project_roles(session, actor, [project]).get(project.id)


def project_roles(session: Session, actor: Actor, projects: list[Project]) -> dict[str, str | None]:
    """The actor's role on each project, in two queries however many projects there are."""
    if actor.kind == "anonymous" or not projects:
        return {p.id: None for p in projects}
    if actor.is_super_admin:
        return {p.id: "owner" for p in projects}
    if actor.user_id is None:
        return {p.id: None for p in projects}
    member_roles = dict(
        session.execute(
            select(ProjectMember.project_id, ProjectMember.role).where(
                ProjectMember.user_id == actor.user_id,
                ProjectMember.project_id.in_([p.id for p in projects]),
            )
        ).tuples().all()
    )
    org_roles = dict(
        session.execute(
            select(OrgMember.org_id, OrgMember.role).where(OrgMember.user_id == actor.user_id)
        ).tuples().all()
    )
    return {
        p.id: effective_project_role(
            is_super_admin=False,
            is_owner=p.owner_id == actor.user_id,
            member_role=member_roles.get(p.id),
            org_role=org_roles.get(p.organization_id or ""),
        )
        for p in projects
    }


def require_project(session: Session, actor: Actor, project_id: str, need: str = "viewer") -> Project:
    """The project if the actor holds at least `need` on it: NotFound if invisible, else Forbidden."""
    project = session.get(Project, project_id)
    role = project_role(session, actor, project) if project is not None else None
    if project is None or role is None:
        raise NotFound.of("project", project_id)
    if not allows(role, need):
        raise Forbidden(f"changing project {project_id} needs the {need} role; you are {role}")
    return project


def require_in_project(
    session: Session, actor: Actor, model: type[T], kind: str, project_id: str, item_id: str,
    need: str = "viewer",
) -> T:
    """A board, column or card of a project the actor may see; one of another project is not found."""
    require_project(session, actor, project_id, need)
    item = session.get(model, item_id)
    if item is None or item.project_id != project_id:  # type: ignore[attr-defined]
        raise NotFound.of(kind, item_id)
    return item


def visible_projects(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause selecting the projects an actor may see (for list queries)."""
    if actor.is_super_admin:
        return true()
    if actor.user_id is None:
        return false()
    return or_(
        Project.owner_id == actor.user_id,
        Project.id.in_(select(ProjectMember.project_id).where(ProjectMember.user_id == actor.user_id)),
        Project.organization_id.in_(select(OrgMember.org_id).where(OrgMember.user_id == actor.user_id)),
    )


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"{what} needs the admin or super_admin role")


def require_super_admin(actor: Actor, what: str) -> None:
    if not actor.is_super_admin:
        raise Forbidden(f"{what} needs the super_admin role")
