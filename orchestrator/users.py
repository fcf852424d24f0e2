"""Accounts: the first user, registration, login, and turning a token into an actor."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from models import ProjectInvitation, ProjectMember, User, utcnow
from orchestrator.access import Actor
from orchestrator.errors import Conflict, Unauthenticated
from orchestrator.runtime_settings import has_users
from orchestrator.security import Keyring, hash_password, verify_password


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    session: Session, email: str, password: str | None, display_name: str = "", role: str = "user"
) -> User:
    email = email.strip().lower()
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"a user with email {email} already exists", code="email_taken")
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
        role=role,
    )
    session.add(user)
    session.flush()
    accept_invitations(session, user)
    return user


def accept_invitations(session: Session, user: User) -> None:
    """Pending project invitations for the account's email become memberships when it is made,
    however it is made (registration, an admin, single sign-on)."""
    invitations = session.scalars(select(ProjectInvitation)
                                  .where(func.lower(ProjectInvitation.email) == user.email.lower())).all()
    for invitation in invitations:
        session.add(ProjectMember(project_id=invitation.project_id, user_id=user.id, role=invitation.role))
        session.delete(invitation)
    session.flush()


def name_or_email_matches(text: str) -> ColumnElement[bool]:
    """A WHERE clause: the user's email or display name contains `text`, ignoring case."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(func.lower(User.email).like(pattern, escape="\\"),
               func.lower(User.display_name).like(pattern, escape="\\"))


def search_users(session: Session, text: str, limit: int = 20) -> list[User]:
    """People to pick (as members), by name or email; nothing for an empty query."""
    if not text.strip():
        return []
    query = select(User).where(name_or_email_matches(text)).order_by(User.display_name, User.email)
    return list(session.scalars(query.limit(limit)))


def setup_first_user(session: Session, email: str, password: str, display_name: str = "") -> User:
    if has_users(session):
        raise Conflict("setup is done: a user already exists; log in instead", code="setup_complete")
    return create_user(session, email, password, display_name, role="super_admin")


def login(session: Session, email: str, password: str) -> User:
    user = find_user_by_email(session, email)
    if user is None or not verify_password(user.password_hash, password):
        raise Unauthenticated("wrong email or password", code="invalid_credentials")
    user.last_login_at = utcnow()
    return user


def issue_token(keyring: Keyring, user: User, ttl_hours: int) -> str:
    return keyring.issue_token(user.id, timedelta(hours=ttl_hours))


def actor_for_user(user: User) -> Actor:
    return Actor(kind="user", user_id=user.id, role=user.role, name=user.display_name)


def actor_for_token(session: Session, keyring: Keyring, token: str) -> Actor | None:
    user_id = keyring.read_token(token)
    user = session.get(User, user_id) if user_id else None
    return actor_for_user(user) if user is not None else None


def describe_actor_user(session: Session, actor: Actor) -> User | None:
    """The user row behind an actor; None for the local developer with auth off."""
    return session.get(User, actor.user_id) if actor.user_id else None


