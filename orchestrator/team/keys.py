"""`tb_` keys: project-scoped keys for /api/v1, for an agent (never expire) or a person (expire
after 7 days without use, a sliding window). Stored and found like every API key
(orchestrator.api_keys.store_key / find_key)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiKey, User, iso, utcnow
from orchestrator.access import LOCAL, Actor, require_project
from orchestrator.api_keys import find_key, store_key
from orchestrator.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from orchestrator.security import Keyring, random_token
from orchestrator.team import audit
from orchestrator.users import actor_for_user

log = logging.getLogger(__name__)
KEY_PREFIX = "tb_"
USER_KEY_IDLE = timedelta(days=7)
TOUCH_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True)
class TeamGrant:
    """What a `tb_` key lets a request do: act in one workspace, as an agent or as its person."""

    key_id: str
    project_id: str
    agent_name: str | None
    actor: Actor


def create_key(session: Session, keyring: Keyring, actor: Actor, workspace_id: str,
               agent_name: str | None) -> dict[str, Any]:
    """A key shown once here (and revealable by its owner): an agent's, or the caller's own."""
    if actor.kind != "user":
        raise Forbidden("tb_ keys are made by people; sign in to make one")
    require_project(session, actor, workspace_id, "editor")
    if agent_name is not None and not agent_name.strip():
        raise InvalidInput("agent_name: must not be empty")
    secret = f"{KEY_PREFIX}ws{secrets.token_hex(4)}_sk_{random_token(32)}"
    expires = None if agent_name else utcnow() + USER_KEY_IDLE
    key = store_key(keyring, "tb", secret, prefix_length=14, name=agent_name or "user",
                    owner_id=actor.user_id, project_id=workspace_id, agent_name=agent_name, expires_at=expires)
    session.add(key)
    session.flush()
    audit.record(session, workspace_id, "key.created", actor.name or actor.user_id or "local",
                 key_id=key.id, agent_name=agent_name)
    return {**key_json(key), "key": secret}


def list_keys(session: Session, actor: Actor, workspace_id: str) -> list[dict[str, Any]]:
    require_project(session, actor, workspace_id)
    keys = session.scalars(select(ApiKey).where(ApiKey.kind == "tb", ApiKey.project_id == workspace_id,
                                                ApiKey.revoked_at.is_(None)).order_by(ApiKey.created_at))
    return [key_json(key) for key in keys]


def revoke_key(session: Session, actor: Actor, key_id: str) -> dict[str, Any]:
    key = session.get(ApiKey, key_id)
    if key is None or key.kind != "tb" or key.revoked_at is not None or key.project_id is None:
        raise NotFound.of("API key", key_id)
    require_project(session, actor, key.project_id, "editor")
    key.revoked_at = utcnow()
    audit.record(session, key.project_id, "key.revoked", actor.name or actor.user_id or "local", key_id=key.id)
    return {"ok": True, "id": key.id}


def revoke_own_key(session: Session, grant: TeamGrant) -> None:
    """Logging out with a person's key ends it; an agent's key stays (agents do not log in)."""
    key = session.get(ApiKey, grant.key_id)
    if key is not None and key.agent_name is None:
        key.revoked_at = utcnow()
    audit.record(session, grant.project_id, "auth.logout", grant.agent_name or _name(grant.actor),
                 key_id=grant.key_id, key_revoked=key is not None and key.agent_name is None)


def key_json(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "prefix": key.prefix, "workspace_id": key.project_id, "agent_name": key.agent_name,
            "expires_at": iso(key.expires_at), "last_used_at": iso(key.last_used_at),
            "created_at": iso(key.created_at)}


def authenticate(session: Session, secret: str) -> TeamGrant:
    """The grant of a live `tb_` key; a person's key slides its 7-day expiry on each use."""
    key = find_key(session, secret, "tb") if secret.startswith(KEY_PREFIX) else None
    now = utcnow()
    live = key is not None and key.revoked_at is None and key.project_id is not None and (
        key.expires_at is None or key.expires_at > now)
    owner = _owner(session, key) if live and key is not None else None
    if key is None or owner is None or key.project_id is None:
        raise Unauthenticated("the API key is not valid, has expired or has been revoked", code="invalid_key")
    if key.last_used_at is None or now - key.last_used_at > TOUCH_GRANULARITY:
        # Once a minute at most, like last_used_at itself: a busy agent must not flood the log.
        audit.record(session, key.project_id, "key.used", key.agent_name or _name(owner), key_id=key.id)
        key.last_used_at = now
        if key.agent_name is None:
            key.expires_at = now + USER_KEY_IDLE
    if key.agent_name:
        actor = Actor(kind="agent", user_id=owner.user_id, role=owner.role, name=key.agent_name, key_id=key.id)
    else:
        actor = owner
    return TeamGrant(key.id, key.project_id, key.agent_name, actor)


def record_refusal(session: Session, secret: str, address: str | None) -> None:
    """A refused `tb_` key, in its own transaction (the request's rolls back). A known key that
    was revoked or expired goes to its workspace's audit log; an unknown one has no workspace,
    so only the service log hears of it, by address and never by secret."""
    key = find_key(session, secret, "tb") if secret.startswith(KEY_PREFIX) else None
    if key is None or key.project_id is None:
        log.warning("refused an unknown tb_ key from %s", address or "an unknown address")
        return
    if key.revoked_at is not None:
        reason = "revoked"
    elif key.expires_at is not None and key.expires_at <= utcnow():
        reason = "expired"
    else:
        reason = "owner_gone"
    audit.record(session, key.project_id, "auth.failed", key.agent_name or key.name, key_id=key.id,
                 reason=reason, address=address)


def _name(actor: Actor) -> str:
    return actor.name or actor.user_id or "local"


def _owner(session: Session, key: ApiKey) -> Actor | None:
    if key.owner_id is None:
        return LOCAL
    user = session.get(User, key.owner_id)
    return actor_for_user(user) if user is not None else None
