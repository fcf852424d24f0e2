"""The API blueprints, one module per area."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from web.api import (
    agents,
    auth,
    boards,
    card_notes,
    cards,
    columns,
    credentials,
    flat_cards,
    health,
    projects,
    templates,
)


def register(app: OpenAPI) -> None:
    for module in (health, auth, projects, boards, columns, cards, flat_cards, templates, credentials, agents,
                   card_notes):
        app.register_api(module.bp)
