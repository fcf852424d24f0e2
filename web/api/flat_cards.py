"""The flat card API for external integrations: card ids without the project in the path
(seed 001's routes, and seed 002's update, move, archive or delete, restore and history)."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import select

from models import AgentSession, Card, CardHistory, Column
from orchestrator import cards, custom_fields, history
from web.api.agents import session_json
from web.api.cards import one_card_json
from web.context import actor, db
from web.responses import created, iso, ok
from web.schemas.cards import FlatCardCreate
from web.schemas.common import IdPath
from web.schemas.workflow import NULLABLE_CARD_FIELDS, CardDeleteQuery, FlatCardUpdate, StatusBody

bp = APIBlueprint("flat_cards", __name__, url_prefix="/api", abp_tags=[Tag(name="Cards (flat)")],
                  abp_security=[{"bearer": []}])


def _column_name(column_id: str) -> str:
    return db().scalar(select(Column.name).where(Column.id == column_id)) or ""


@bp.post("/cards")
def create_card(body: FlatCardCreate):  # type: ignore[no-untyped-def]
    fields = body.model_dump(exclude_unset=True, exclude={"projectId"})
    card = cards.create_card(db(), actor(), body.projectId, fields)
    return created({**one_card_json(card), "columnName": _column_name(card.column_id)})


def flat_card_json(card: Card) -> dict[str, Any]:
    """Seed 001's card (with its column name and sessions) and seed 002's workflow fields."""
    found = db().scalars(
        select(AgentSession).where(AgentSession.card_id == card.id).order_by(AgentSession.queued_at)
    )
    return {**one_card_json(card), "columnName": _column_name(card.column_id),
            "sessions": [session_json(s) for s in found], "cardTypeId": card.card_type_id,
            "fieldValues": custom_fields.values_json(card)}


def history_json(row: CardHistory) -> dict[str, Any]:
    return {"id": row.id, "cardId": row.card_id, "actorType": row.actor_type, "actorId": row.actor_id,
            "action": row.action, "changes": row.changes, "createdAt": iso(row.created_at)}


@bp.get("/cards/<id>")
def get_card(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(flat_card_json(cards.find_card(db(), actor(), path.id)))


@bp.patch("/cards/<id>")
def update_card(path: IdPath, body: FlatCardUpdate):  # type: ignore[no-untyped-def]
    """A missing key is unchanged; an explicit null clears it. Field values are checked against
    their field (type, options, regex)."""
    card = cards.find_card(db(), actor(), path.id, "editor")
    cards.apply_changes(db(), actor(), card, body.changes(nullable=NULLABLE_CARD_FIELDS))
    return ok(flat_card_json(card))


@bp.patch("/cards/<id>/status")
def move_card(path: IdPath, body: StatusBody):  # type: ignore[no-untyped-def]
    """Move the card along one of its board's transitions into a column whose required fields it has."""
    card = cards.find_card(db(), actor(), path.id, "editor")
    cards.move_card(db(), actor(), card, body.toColumnId)
    return ok(flat_card_json(card))


@bp.delete("/cards/<id>")
def delete_card(path: IdPath, query: CardDeleteQuery):  # type: ignore[no-untyped-def]
    """Archive the card (default; restore brings it back) or delete it for good. Its history stays."""
    card = cards.find_card(db(), actor(), path.id, "editor")
    if query.mode == "permanent":
        cards.delete_card(db(), actor(), card.project_id, card.id, query.force)
    else:
        cards.set_archived(db(), actor(), card, True)
    return ok({"success": True})


@bp.post("/cards/<id>/restore")
def restore_card(path: IdPath):  # type: ignore[no-untyped-def]
    card = cards.find_card(db(), actor(), path.id, "editor")
    return ok(flat_card_json(cards.set_archived(db(), actor(), card, False)))


@bp.get("/cards/<id>/history")
def card_history(path: IdPath):  # type: ignore[no-untyped-def]
    """Every change to the card, oldest first: who (actor type and id), what, before and after."""
    card = cards.find_card(db(), actor(), path.id)
    return ok([history_json(row) for row in history.list_history(db(), card.id)])


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
