"""The append-only card history: every change to a card, by whom. Rows are never updated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, CardHistory
from orchestrator.access import Actor

HISTORY_ACTOR_TYPES = {"user": "user", "api_key": "api_key", "agent": "agent", "system": "system"}


def record(
    session: Session, card: Card, actor: Actor, action: str, changes: dict[str, Any] | None = None
) -> None:
    session.add(
        CardHistory(
            card_id=card.id,
            project_id=card.project_id,
            actor_type=HISTORY_ACTOR_TYPES.get(actor.kind, "system"),
            actor_id=actor.history_id,
            action=action,
            changes=changes or {},
        )
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: {before, after}} for the fields whose value changed."""
    return {
        key: {"before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def list_history(session: Session, card_id: str) -> list[CardHistory]:
    """The card's rows, oldest first (rows outlive the card: a permanent delete keeps them)."""
    return list(session.scalars(select(CardHistory).where(CardHistory.card_id == card_id)
                                .order_by(CardHistory.created_at, CardHistory.id)))
