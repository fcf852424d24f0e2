"""`notification` events: the moments a person wants to hear of (a session completed or failed, a
plan to read, a card waiting for approval, a comment), as the instance's notification settings
(`/api/settings/notifications`) choose. Each is published in the transaction of the change it
reports, beside that change's own event, so a client shows it without working out which of the
many events deserve a person's attention."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Card, publish
from orchestrator.user_settings import NOTIFICATION_EVENTS, get_notifications


def notify(session: Session, kind: str, card: Card, message: str, **data: Any) -> None:
    """`kind` is one of NOTIFICATION_EVENTS; `message` is what a person reads, card named."""
    assert kind in NOTIFICATION_EVENTS, kind
    preferences = get_notifications(session)
    if not preferences["enabled"] or not preferences["events"].get(kind, True):
        return
    publish(session, "notification", card.project_id,
            {"kind": kind, "cardId": card.id, "title": f"{card.short_id} {card.title}", "message": message,
             **data}, card.id)
