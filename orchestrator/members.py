"""A project's people: its owner, members (editor or viewer) and pending invitations.

Adding someone by email makes them a member at once when they have an account; otherwise the
email waits as an invitation, which becomes a membership the moment an account with that email
is created (`orchestrator.users.accept_invitations`). Only the project's owner (or a super admin)
manages members; a member may leave on their own. The owner is not a member row and cannot be
removed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Project, ProjectInvitation, ProjectMember, User
from orchestrator.access import Actor, require_project
from orchestrator.errors import Conflict, NotFound
from orchestrator.users import find_user_by_email

MEMBER_ROLES = ("editor", "viewer")


@dataclass(frozen=True)
class Person:
    """One line of the member list: an account (owner or member) or a pending invitation."""

    user_id: str | None
    email: str
    display_name: str | None
    role: str
    status: str  # active | pending


def list_people(session: Session, actor: Actor, project_id: str) -> list[Person]:
    """The owner first, then members by email, then pending invitations by email."""
    project = require_project(session, actor, project_id)
    people = []
    owner = session.get(User, project.owner_id) if project.owner_id else None
    if owner is not None:
        people.append(_person(owner, "owner"))
    rows = session.execute(select(ProjectMember.role, User).join(User, User.id == ProjectMember.user_id)
                           .where(ProjectMember.project_id == project_id).order_by(User.email)).tuples()
    people.extend(_person(user, role) for role, user in rows)
    invitations = session.scalars(select(ProjectInvitation).where(ProjectInvitation.project_id == project_id)
                                  .order_by(ProjectInvitation.email))
    people.extend(Person(None, i.email, None, i.role, "pending") for i in invitations)
    return people


def add_person(session: Session, actor: Actor, project_id: str, email: str, role: str) -> Person:
    """A member if the email has an account, else a pending invitation."""
    project = require_project(session, actor, project_id, "owner")
    user = find_user_by_email(session, email)
    if user is None:
        return _invite(session, actor, project, email.strip().lower(), role)
    if user.id == project.owner_id:
        raise Conflict(f"{user.email} owns project {project_id}", code="already_member")
    if session.get(ProjectMember, (project_id, user.id)) is not None:
        raise Conflict(f"{user.email} is already a member of project {project_id}", code="already_member")
    session.add(ProjectMember(project_id=project_id, user_id=user.id, role=role))
    session.flush()
    return _person(user, role)


def change_role(session: Session, actor: Actor, project_id: str, user_id: str, role: str) -> Person:
    project = require_project(session, actor, project_id, "owner")
    member = _member(session, project, user_id)
    member.role = role
    return _person(session.get(User, user_id), role)  # type: ignore[arg-type]


def remove_member(session: Session, actor: Actor, project_id: str, user_id: str) -> None:
    """The owner removes anyone; a member may leave on their own."""
    project = require_project(session, actor, project_id, "viewer" if actor.user_id == user_id else "owner")
    session.delete(_member(session, project, user_id))


def revoke_invitation(session: Session, actor: Actor, project_id: str, email: str) -> None:
    require_project(session, actor, project_id, "owner")
    invitation = session.scalar(select(ProjectInvitation).where(
        ProjectInvitation.project_id == project_id,
        func.lower(ProjectInvitation.email) == email.strip().lower()))
    if invitation is None:
        raise NotFound(f"no pending invitation for {email} in project {project_id}")
    session.delete(invitation)


def _invite(session: Session, actor: Actor, project: Project, email: str, role: str) -> Person:
    existing = session.scalar(select(ProjectInvitation).where(
        ProjectInvitation.project_id == project.id, func.lower(ProjectInvitation.email) == email))
    if existing is not None:
        raise Conflict(f"{email} is already invited to project {project.id}", code="already_invited")
    session.add(ProjectInvitation(project_id=project.id, email=email, role=role, invited_by=actor.user_id))
    session.flush()
    return Person(None, email, None, role, "pending")


def _member(session: Session, project: Project, user_id: str) -> ProjectMember:
    member = session.get(ProjectMember, (project.id, user_id))
    if member is None:
        if user_id == project.owner_id:
            raise Conflict(f"user {user_id} owns project {project.id}; the owner is not a removable member",
                           code="owner_not_member")
        raise NotFound(f"user {user_id} is not a member of project {project.id}")
    return member


def _person(user: User, role: str) -> Person:
    return Person(user.id, user.email, user.display_name, role, "active")
