"""The transactional outbox, and the webhooks that read from it.

`publish()` adds an event row to the caller's session, so the event commits or rolls back with
the change it describes; consumers (WebSocket hub, webhooks, activity feeds) read committed rows.
`announce_commits()` tells them when to look: on PostgreSQL by NOTIFY inside the committing
transaction (delivered to listeners only if it commits), in this process by a callback after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

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
    session.info[EVENTS_PENDING] = True
    return event


EVENTS_PENDING = "switchyard_events_pending"
EVENTS_CHANNEL = "switchyard_events"


def announce_commits(factory: sessionmaker[Session], on_commit: Callable[[], None]) -> None:
    """Make the sessions of `factory` announce committed events (see the module docstring)."""
    event.listen(factory, "before_commit", _notify_postgres)
    event.listen(factory, "after_commit", lambda session: _after_commit(session, on_commit))
    event.listen(factory, "after_rollback", lambda session: session.info.pop(EVENTS_PENDING, None))


def _notify_postgres(session: Session) -> None:
    if session.info.get(EVENTS_PENDING) and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {EVENTS_CHANNEL}"))


def _after_commit(session: Session, on_commit: Callable[[], None]) -> None:
    if session.info.pop(EVENTS_PENDING, False):
        on_commit()


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
    disabled_reason: Mapped[str | None] = mapped_column(String(200))  # why delivery stopped (410)
    last_event_id: Mapped[int] = mapped_column(default=0)  # delivery cursor into the outbox


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd"))
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int]
    event_type: Mapped[str | None] = mapped_column(String(50))
    attempt: Mapped[int] = mapped_column(default=1)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_webhook_deliveries_webhook_event", WebhookDelivery.webhook_id, WebhookDelivery.event_id)
