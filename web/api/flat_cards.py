"""The flat card API for external integrations: card ids without the project in the path."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from models import AgentSession, Column
from orchestrator import cards
from web.api.agents import session_json
from web.api.cards import one_card_json
from web.context import actor, db
from web.responses import created, ok
from web.schemas.cards import FlatCardCreate
from web.schemas.common import IdPath

bp = APIBlueprint("flat_cards", __name__, url_prefix="/api", abp_tags=[Tag(name="Cards (flat)")],
                  abp_security=[{"bearer": []}])


def _column_name(column_id: str) -> str:
    return db().scalar(select(Column.name).where(Column.id == column_id)) or ""


@bp.post("/cards")
def create_card(body: FlatCardCreate):  # type: ignore[no-untyped-def]
    fields = body.model_dump(exclude_unset=True, exclude={"projectId"})
    card = cards.create_card(db(), actor(), body.projectId, fields)
    return created({**one_card_json(card), "columnName": _column_name(card.column_id)})


@bp.get("/cards/<id>")
def get_card(path: IdPath):  # type: ignore[no-untyped-def]
    card = cards.find_card(db(), actor(), path.id)
    found = db().scalars(
        select(AgentSession).where(AgentSession.card_id == card.id).order_by(AgentSession.queued_at)
    )
    return ok({**one_card_json(card), "columnName": _column_name(card.column_id),
               "sessions": [session_json(s) for s in found]})


@bp.get("/cards/<id>/status")
def card_status(path: IdPath):  # type: ignore[no-untyped-def]
    card = cards.find_card(db(), actor(), path.id)
    return ok({
        "id": card.id,
        "title": card.title,
        "columnId": card.column_id,
        "columnName": _column_name(card.column_id),
        "hasActiveAgent": cards.has_active_agent(db(), card.id),
    })
