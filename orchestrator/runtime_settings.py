"""Settings people change at run time through the API, stored in the `settings` table."""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Setting, User
from orchestrator.access import Actor, require_super_admin
from orchestrator.errors import Conflict

GLOBAL = "global"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def get_setting(session: Session, key: str, default: Any = None, scope: str = GLOBAL) -> Any:
    row = session.get(Setting, (scope, key))
    return default if row is None else row.value


def put_setting(session: Session, key: str, value: Any, scope: str = GLOBAL) -> None:
    row = session.get(Setting, (scope, key))
    if row is None:
        session.add(Setting(scope=scope, key=key, value=value))
    else:
        row.value = value


def auth_enabled(session: Session) -> bool:
    return bool(get_setting(session, "auth.enabled", False))


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(User)))


def is_loopback(host: str) -> bool:
    """A loopback name or address; `127.0.0.1.evil.example` is a name that merely starts like one."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def set_auth_enabled(session: Session, actor: Actor, enabled: bool, bound_host: str) -> bool:
    """Switch auth; refuses states that would lock everyone out or expose an open server."""
    require_super_admin(actor, "switching authentication")
    if enabled and not has_users(session):
        raise Conflict(
            "no user exists yet: create the first one with POST /api/auth/setup before enabling auth",
            code="no_users",
        )
    if not enabled and not is_loopback(bound_host):
        raise Conflict(
            f"the server listens on {bound_host}; auth can only be switched off on loopback",
            code="not_loopback",
        )
    put_setting(session, "auth.enabled", enabled)
    return enabled
