"""Who is calling the agent-team dialect (seed 004), in which workspace, and how often.

A `tb_` key acts in its one workspace (as its agent, or as the person it was made for); without
one, the request is authenticated as on the native API (a user token, or the machine's developer
with auth off). Rate limits follow the seed's table, counted per key (or address), and writes
per workspace and address; every answer carries the X-RateLimit-* headers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, request

from orchestrator.access import Actor
from orchestrator.errors import Unauthenticated
from orchestrator.team import keys
from orchestrator.team.keys import TeamGrant
from web import rate_limits
from web.context import db, runtime

PREFIXES = ("/api/v1/", "/api/keys", "/api/auth/github")
PATHS = ("/api/v1", "/api/auth/logout", "/api/site/status")
AUTH_PATHS = ("/api/keys", "/api/auth/")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_team_path(path: str) -> bool:
    return path in PATHS or path.startswith(PREFIXES)


def authenticate_team_request(auth_on: bool, fallback: Callable[[bool], Actor]) -> Actor:
    """The caller's actor; a `tb_` key also fixes the workspace (`g.team_grant`)."""
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else ""
    grant = _grant(secret) if secret.startswith(keys.KEY_PREFIX) else None
    g.team_grant = grant
    actor = grant.actor if grant is not None else fallback(auth_on)
    _count(grant, actor)
    return actor


def _grant(secret: str) -> TeamGrant:
    """Authentication is the request's first use of its session, so on a refusal nothing is lost
    by rolling it back and committing the audit row alone (the error answer would roll it back)."""
    session = db()
    try:
        return keys.authenticate(session, secret)
    except Unauthenticated:
        session.rollback()
        keys.record_refusal(session, secret, request.remote_addr)
        session.commit()
        raise


def team_grant() -> TeamGrant | None:
    return g.get("team_grant")


def _count(grant: TeamGrant | None, actor: Actor) -> None:
    limits = runtime().settings.ratelimit
    caller = grant.key_id if grant is not None else (request.remote_addr or "local")
    address = request.remote_addr or "local"
    if request.path.startswith(AUTH_PATHS):
        rate_limits.count((f"v1auth:{address}", limits.team_auth_per_minute))
        return
    workspace = grant.project_id if grant is not None else (
        request.headers.get("X-Workspace-Id") or f"current:{actor.user_id or 'local'}")
    hits = [(f"v1:{caller}", limits.team_per_minute), (f"v1ws:{workspace}", limits.team_per_minute)]
    if request.method in WRITES:
        hits.append((f"v1w:{workspace}:{address}", limits.team_writes_per_minute))
    rate_limits.count(*hits)


def register(app: Flask) -> None:
    rate_limits.register(app)
