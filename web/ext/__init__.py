"""The APIs for `ak_` API keys: /api/ext/v1 (seed 000) and /tasks-api.php (seed 003)."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from web import tasks_api
from web.ext import auth, boards, tasks, turns, webhooks


def register(app: OpenAPI) -> None:
    auth.register(app)
    for module in (boards, tasks, turns, webhooks, tasks_api):
        app.register_api(module.bp)
