"""The agent-team dialect (seed 004): /api/v1 and its neighbours (/api/keys, /api/site/status,
/api/auth/logout, /api/auth/github*). Bare JSON in snake_case; errors `{"error", "message"}`."""

from __future__ import annotations

from flask_openapi3 import OpenAPI


def register(app: OpenAPI) -> None:
    from web.v1 import adrs, agents, assistant, auth, keys, memories, sprints, tasks, workspace

    auth.register(app)
    for module in (keys, workspace, tasks, agents, memories, sprints, adrs, assistant):
        app.register_api(module.bp)
