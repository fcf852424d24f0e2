"""Token and cost totals over agent sessions: the one query behind every `usage` field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import AgentSession

_TOTALS = (
    func.coalesce(func.sum(AgentSession.input_tokens), 0),
    func.coalesce(func.sum(AgentSession.output_tokens), 0),
    func.coalesce(func.sum(AgentSession.cache_read_tokens), 0),
    func.coalesce(func.sum(AgentSession.cache_write_tokens), 0),
    func.coalesce(func.sum(AgentSession.cost_usd), 0.0),
    func.coalesce(func.min(AgentSession.cost_known.cast(Integer)), 1),
    func.count(AgentSession.id),
)
EMPTY = {
    "inputTokens": 0,
    "outputTokens": 0,
    "cacheReadTokens": 0,
    "cacheWriteTokens": 0,
    "costUsd": 0.0,
    "costKnown": True,
}


def _as_usage(row: Any) -> dict[str, Any]:
    return {
        "inputTokens": int(row[0]),
        "outputTokens": int(row[1]),
        "cacheReadTokens": int(row[2]),
        "cacheWriteTokens": int(row[3]),
        "costUsd": round(float(row[4]), 6),
        "costKnown": bool(row[5]),
    }


def usage_where(session: Session, *criteria: ColumnElement[bool]) -> dict[str, Any]:
    """Totals over the sessions matching `criteria`, plus their count as `sessions`."""
    row = session.execute(select(*_TOTALS).where(*criteria)).one()
    return {**_as_usage(row), "sessions": int(row[6])}


def usage_by(
    session: Session, key: InstrumentedAttribute[Any], *criteria: ColumnElement[bool]
) -> dict[str, dict[str, Any]]:
    """Totals per value of `key` (card or project id), in one grouped query."""
    rows = session.execute(select(key, *_TOTALS).where(*criteria).group_by(key))
    return {row[0]: _as_usage(row[1:]) for row in rows}
