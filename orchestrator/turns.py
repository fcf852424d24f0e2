"""A task's conversation turns: pushed by IDE extensions (seed 000) beside Switchyard's own.

Pushed turns are upserted in batches: one INSERT ... ON CONFLICT DO NOTHING over the unique
(card, source, sourceId), so a batch sent twice (a retry, an extension restarting) stores each
turn once, and concurrent pushes cannot race. Switchyard's sessions record their turns as
`switchyard:<engine>` (workers/recording.py), a source prefix pushed turns may not use.

A source's watermark is its latest turn (by capture time): what an extension has already synced.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, and_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import Card, Turn, new_id, utcnow
from models.base import raw_iso
from orchestrator.errors import InvalidInput

MAX_BATCH = 100
RESERVED_PREFIX = "switchyard:"
# Each source's latest turn in one statement: the task's sources by a skip scan over the
# (card, source, captured_at, id) index, then one seek per source, however many turns there are.
WATERMARKS_SQL = text("""
WITH RECURSIVE s(source) AS (
    SELECT min(source) FROM turns WHERE card_id = :card_id
    UNION ALL
    SELECT (SELECT min(source) FROM turns WHERE card_id = :card_id AND source > s.source)
    FROM s WHERE s.source IS NOT NULL
)
SELECT source, source_id, captured_at FROM turns WHERE id IN (
    SELECT (SELECT id FROM turns t WHERE t.card_id = :card_id AND t.source = s.source
            ORDER BY t.captured_at DESC, t.id DESC LIMIT 1)
    FROM s WHERE s.source IS NOT NULL
)
""")


def upsert_turns(session: Session, card: Card, turns: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Store the turns not stored yet; returns how many were new and the batch's sources' watermarks."""
    if len(turns) > MAX_BATCH:
        raise InvalidInput(f"turns: at most {MAX_BATCH} turns per batch, got {len(turns)}")
    rows, seen = [], set()
    for index, turn in enumerate(turns):
        if turn["source"].startswith(RESERVED_PREFIX):
            raise InvalidInput(f"turns.{index}.source: the prefix {RESERVED_PREFIX!r} is Switchyard's own")
        identity = (turn["source"], turn["sourceId"])
        if identity not in seen:
            seen.add(identity)
            rows.append(_row(card.id, turn))
    inserted = 0
    if rows:
        # Core, executemany: one cached statement that SQLAlchemy sends as multi-row INSERTs
        # ("insertmanyvalues"), RETURNING only the rows that were new.
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = Turn.__table__
        statement = (insert(table).on_conflict_do_nothing(index_elements=["card_id", "source", "source_id"])
                     .returning(table.c.id))
        inserted = len(session.connection().execute(statement, rows).all())
    return inserted, watermarks(session, card.id, {source for source, _ in seen})


def _row(card_id: str, turn: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    extra = {"toolUseOnly": turn["toolUseOnly"]} if turn.get("toolUseOnly") is not None else {}
    return {
        "id": new_id("turn"), "card_id": card_id, "session_id": None, "source": turn["source"],
        "source_id": turn["sourceId"], "role": turn["role"], "content": turn.get("content") or "",
        "model": turn.get("model"), "input_tokens": turn.get("inputTokens") or 0,
        "output_tokens": turn.get("outputTokens") or 0, "cache_read_tokens": 0, "cache_write_tokens": 0,
        "cost_usd": turn.get("costUsd") or 0.0, "duration_ms": turn.get("durationMs"), "extra": extra,
        "captured_at": turn.get("capturedAt") or now, "created_at": now,
    }


def list_turns(session: Session, card_id: str, source: str | None = None, after: datetime | None = None,
               cursor: str | None = None, limit: int = 100) -> tuple[list[Row[Any]], str | None]:
    """A page of turns (rows with Turn's attribute names) in capture order, and the cursor of the
    next page (None on the last). Plain rows, not ORM objects: the page is read, never changed."""
    query: Select[Any] = select(Turn.__table__).where(Turn.card_id == card_id)
    if source is not None:
        query = query.where(Turn.source == source)
    if after is not None:
        query = query.where(Turn.captured_at > after)
    if cursor:
        captured_at, turn_id = _decode_cursor(cursor)
        query = query.where(or_(Turn.captured_at > captured_at,
                                and_(Turn.captured_at == captured_at, Turn.id > turn_id)))
    page = list(session.connection().execute(query.order_by(Turn.captured_at, Turn.id).limit(limit + 1)).all())
    if len(page) <= limit:
        return page, None
    page = page[:limit]
    return page, _encode_cursor(page[-1])


def watermarks(session: Session, card_id: str, sources: set[str] | None = None) -> dict[str, Any]:
    """Each source's latest turn: {source: {sourceId, capturedAt}}; all the task's sources by default."""
    rows = session.execute(WATERMARKS_SQL, {"card_id": card_id}).all()
    return {row.source: {"sourceId": row.source_id, "capturedAt": raw_iso(row.captured_at)}
            for row in sorted(rows) if sources is None or row.source in sources}


def _encode_cursor(turn: Row[Any]) -> str:
    raw = f"{turn.captured_at.astimezone(UTC).isoformat()}|{turn.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        captured, turn_id = raw.split("|", 1)
        value = datetime.fromisoformat(captured)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor: not a cursor this API returned") from None
    if value.tzinfo is None:
        raise InvalidInput("cursor: not a cursor this API returned")
    return value, turn_id
