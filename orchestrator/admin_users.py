"""Managing accounts as an administrator: list, create with a one-time password, change name or
role, reset a password, and delete (with its projects handed to a super admin).

Admins and super admins both manage users, but only a super admin may make, change or remove a
super admin; nobody deletes themselves, and the last super admin can neither go nor be demoted,
so the instance always keeps someone who can switch auth and restore backups.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import Project, ProjectMember, User
from orchestrator import card_views, user_settings, users
from orchestrator.access import Actor, require_admin
from orchestrator.errors import Conflict, Forbidden, NotFound
from orchestrator.security import hash_password

PASSWORD_ALPHABET = string.ascii_letters + string.digits + "#$%&*+-=?@^_"
PASSWORD_LENGTH = 16


def generate_password() -> str:
    """A random password with at least one lower, upper, digit and symbol character."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
        classes = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
        if all(any(test(c) for c in password) for test in classes):
            return password


def list_users(session: Session, actor: Actor, search: str, offset: int, limit: int) -> tuple[list[User], int]:
    """A page of users, oldest first, matching `search` in name or email; and how many match."""
    require_admin(actor, "listing users")
    query = select(User)
    if search.strip():
        query = query.where(users.name_or_email_matches(search))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(User.created_at, User.id).offset(offset).limit(limit))
    return list(page), total


def create_user(session: Session, actor: Actor, email: str, name: str, role: str) -> tuple[User, str]:
    """A local account with a generated password, returned once; it must be changed at first login."""
    require_admin(actor, "creating users")
    _require_may_grant(actor, role)
    password = generate_password()
    user = users.create_user(session, email, password, name, role)
    user.must_change_password = True
    return user, password


def get_user(session: Session, actor: Actor, user_id: str) -> User:
    require_admin(actor, "managing users")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound.of("user", user_id)
    return user


def update_user(session: Session, actor: Actor, user_id: str, changes: dict[str, Any]) -> User:
    user = get_user(session, actor, user_id)
    _require_may_manage(actor, user)
    if "role" in changes and changes["role"] != user.role:
        _require_may_grant(actor, changes["role"])
        if user.role == "super_admin":
            _require_another_super_admin(session, user, "demote")
        user.role = changes["role"]
    if "name" in changes:
        user.display_name = changes["name"]
    return user


def reset_password(session: Session, actor: Actor, user_id: str) -> str:
    user = get_user(session, actor, user_id)
    _require_may_manage(actor, user)
    if user.auth_provider != "local":
        raise Conflict(f"user {user_id} signs in through {user.auth_provider}; there is no password to reset",
                       code="not_local_user")
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    return password


def deletion_impact(session: Session, actor: Actor, user_id: str) -> dict[str, Any]:
    """What deleting the user would do, and whether it is allowed (with the reason if not)."""
    user = get_user(session, actor, user_id)
    owned = session.scalar(select(func.count()).select_from(Project).where(Project.owner_id == user.id)) or 0
    try:
        _check_deletable(session, actor, user)
    except (Conflict, Forbidden) as refusal:
        return {"ownedProjectsCount": owned, "canDelete": False, "reason": refusal.message}
    return {"ownedProjectsCount": owned, "canDelete": True, "reason": None}


def delete_user(session: Session, actor: Actor, user_id: str) -> None:
    """Delete the account; its projects go to a super admin (the acting one if it is one)."""
    user = get_user(session, actor, user_id)
    _check_deletable(session, actor, user)
    heir = _heir(session, actor, user)
    owned = select(Project.id).where(Project.owner_id == user.id)
    if heir is not None:  # an owner is not also a member of their project
        session.execute(delete(ProjectMember).where(ProjectMember.user_id == heir,
                                                    ProjectMember.project_id.in_(owned)))
    session.execute(update(Project).where(Project.owner_id == user.id).values(owner_id=heir)
                    .execution_options(synchronize_session="fetch"))
    user_settings.forget_person(session, user.id)
    card_views.forget_reader(session, user.id)
    session.delete(user)


# Rules -----------------------------------------------------------------------------------------


def _check_deletable(session: Session, actor: Actor, user: User) -> None:
    if actor.user_id == user.id:
        raise Conflict("you cannot delete your own account", code="cannot_delete_self")
    _require_may_manage(actor, user)
    if user.role == "super_admin":
        _require_another_super_admin(session, user, "delete")


def _require_may_manage(actor: Actor, user: User) -> None:
    if user.role == "super_admin" and not actor.is_super_admin:
        raise Forbidden("only a super_admin may change or remove a super_admin")


def _require_may_grant(actor: Actor, role: str) -> None:
    if role == "super_admin" and not actor.is_super_admin:
        raise Forbidden("only a super_admin may grant the super_admin role")


def _require_another_super_admin(session: Session, user: User, verb: str) -> None:
    others = session.scalar(select(func.count()).select_from(User)
                            .where(User.role == "super_admin", User.id != user.id)) or 0
    if not others:
        raise Conflict(f"cannot {verb} {user.email}: they are the last super_admin; make another one first",
                       code="last_super_admin")


def _heir(session: Session, actor: Actor, user: User) -> str | None:
    if actor.is_super_admin and actor.user_id:
        return actor.user_id
    return session.scalar(select(User.id).where(User.role == "super_admin", User.id != user.id)
                          .order_by(User.created_at, User.id).limit(1))
