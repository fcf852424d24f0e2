"""Periodic clean-up jobs that keep the database from growing without bound."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models import Event, utcnow


def purge_events(session: Session, retention_days: int) -> int:
    """Drop outbox events older than the retention; clients asking for them must resync."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = session.execute(delete(Event).where(Event.created_at < cutoff))
    return result.rowcount or 0
