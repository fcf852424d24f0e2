"""Who is calling the agent-team dialect (seed 004), in which workspace, and how often.

A `tb_` key acts in its one workspace (as its agent, or as the person it was made for); without
one, the request is authenticated as on the native API (a user token, or the machine's developer
with auth off). Rate limits follow the seed's table, counted per key (or address), and writes
per workspace and address; every answer carries the X-RateLimit-* headers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g, request

from orchestrator.access import Actor
from orchestrator.errors import RateLimited, Unauthenticated
from orchestrator.rate_limits import RateLimiter, Usage
from orchestrator.team import keys
from orchestrator.team.keys import TeamGrant
from web.context import db, runtime

PREFIXES = ("/api/v1/", "/api/keys", "/api/auth/github")
PATHS = ("/api/v1", "/api/auth/logout", "/api/site/status")
AUTH_PATHS = ("/api/keys", "/api/auth/")
LIMITER = "switchyard_team_rate_limiter"
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
    limiter: RateLimiter = current_app.extensions[LIMITER]
    caller = grant.key_id if grant is not None else (request.remote_addr or "local")
    address = request.remote_addr or "local"
    if request.path.startswith(AUTH_PATHS):
        usages = [limiter.hit(f"v1auth:{address}", limits.team_auth_per_minute)]
    else:
        usages = [limiter.hit(f"v1:{caller}", limits.team_per_minute)]
        workspace = grant.project_id if grant is not None else (
            request.headers.get("X-Workspace-Id") or f"current:{actor.user_id or 'local'}")
        usages.append(limiter.hit(f"v1ws:{workspace}", limits.team_per_minute))
        if request.method in WRITES:
            usages.append(limiter.hit(f"v1w:{workspace}:{address}", limits.team_writes_per_minute))
    g.team_rate_limit = _tightest(usages)
    refused = next((usage for usage in usages if not usage.allowed), None)
    if refused is not None:
        raise RateLimited("Rate limit exceeded. Try again later.", refused.retry_after)


def _tightest(usages: list[Usage]) -> Usage:
    refused = [usage for usage in usages if not usage.allowed]
    return refused[0] if refused else min(usages, key=lambda usage: usage.remaining)


def register(app: Flask) -> None:
    app.extensions[LIMITER] = RateLimiter(app.extensions["switchyard"].settings.ratelimit)
    app.after_request(_rate_limit_headers)


def _rate_limit_headers(response: Response) -> Response:
    usage = g.get("team_rate_limit")
    if usage is not None:
        response.headers.update(usage.headers())
    return response
