"""The API blueprints, one module per area."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from web import ext
from web import v1 as team_v1
from web.api import (
    admin_users,
    agents,
    api_keys,
    approvals,
    assistant,
    attachments,
    auth,
    backups,
    boards,
    card_agents,
    card_notes,
    cards,
    columns,
    credentials,
    filesystem,
    flat_cards,
    health,
    logs,
    members,
    oidc,
    organizations,
    pre_sessions,
    projects,
    scripts,
    slash_commands,
    templates,
    user_settings,
    workflow,
)


def register(app: OpenAPI) -> None:
    team_v1.register(app)  # /api/v1 (seed 004), before the native routes it shares a prefix with
    for module in (health, auth, projects, boards, columns, cards, flat_cards, templates, credentials, agents,
                   card_notes, scripts, slash_commands, pre_sessions, assistant):
        app.register_api(module.bp)
    for module in (admin_users, organizations, members, user_settings):
        app.register_api(module.bp)
    app.register_api(approvals.bp)
    app.register_api(workflow.bp)
    app.register_api(card_agents.bp)
    app.register_api(api_keys.bp)
    ext.register(app)  # /api/ext/v1 and /tasks-api.php, for `ak_` keys
    for module in (logs, backups, filesystem, attachments, oidc):
        app.register_api(module.bp)
