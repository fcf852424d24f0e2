"""Who is calling the key dialects (/api/ext/v1, /tasks-api.php), and how often.

These APIs take only `ak_` keys, with auth on or off: a key is what scopes an integration to its
boards and what its rate limit counts. web/guards.py sends their requests here; the answer is
the key's actor (kind `api_key`, within its owner's rights), and `g.key_grant` holds its scope.
"""

from __future__ import annotations

import re

from flask import Flask, g, request

from orchestrator import api_keys
from orchestrator.access import Actor
from orchestrator.api_keys import KeyGrant
from orchestrator.errors import Unauthenticated
from web import rate_limits
from web.context import db, runtime

EXT_PREFIX = "/api/ext/v1"
TASKS_API_PATH = "/tasks-api.php"


# Seed 002's agent routes (/api/cards/{id}/mcp[/status], /api/organizations/{orgId}/cards/mcp) take keys too.
AGENT_ROUTE = re.compile(r"^/api/(cards/[^/]+/mcp(/status)?|organizations/[^/]+/cards/mcp)/?$")


def is_key_dialect(path: str) -> bool:
    return (path == TASKS_API_PATH or path == EXT_PREFIX or path.startswith(EXT_PREFIX + "/")
            or AGENT_ROUTE.match(path) is not None)


def authenticate_key_request() -> Actor:
    """The key's actor, after counting the request against the key's limit in this dialect."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise Unauthenticated("missing Authorization header: send Authorization: Bearer ak_…", code="missing_auth")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("the Authorization header must be Bearer ak_…", code="invalid_key")
    grant = api_keys.authenticate(db(), secret.strip())
    g.key_grant = grant
    limits = runtime().settings.ratelimit
    dialect, per_minute = (("tasks", limits.tasks_per_minute) if request.path == TASKS_API_PATH
                           else ("ext", limits.ext_per_minute))
    rate_limits.count((f"{dialect}:{grant.key_id}", per_minute))
    return grant.actor


def key_grant() -> KeyGrant:
    return g.key_grant


def register(app: Flask) -> None:
    rate_limits.register(app)
