"""The transactional outbox, and the webhooks that read from it.

`publish()` adds an event row to the caller's session, so the event commits or rolls back with
the change it describes; consumers (WebSocket hub, webhooks, activity feeds) read committed rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, Timestamps, new_id, utcnow


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    project_id: Mapped[str | None] = mapped_column(String(40))
    card_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


Index("ix_events_project_id_id", Event.project_id, Event.id)


def publish(
    session: Session,
    type: str,
    project_id: str | None,
    data: dict[str, Any],
    card_id: str | None = None,
) -> Event:
    """Record an event in the caller's transaction; the one way any change announces itself."""
    event = Event(type=type, project_id=project_id, card_id=card_id, data=data)
    session.add(event)
    return event


class Webhook(Timestamps, Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wh"))
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
    failing: Mapped[bool] = mapped_column(default=False)
    last_event_id: Mapped[int] = mapped_column(default=0)  # delivery cursor into the outbox


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int]
    attempt: Mapped[int] = mapped_column(default=1)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
