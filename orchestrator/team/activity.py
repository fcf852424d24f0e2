"""The workspace's activity timeline (read from the event outbox), events a client sends to it,
and search over tasks and messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Card, Event, iso, publish
from orchestrator.errors import InvalidInput
from orchestrator.team import tasks
from orchestrator.team.workspaces import Team, team_board

CLIENT_EVENT = "client.event"  # an event a client reported, kept as activity
MAX_BATCH = 500


def activity(session: Session, team: Team, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(select(Event).where(Event.project_id == team.id)
                           .order_by(Event.id.desc()).limit(max(1, min(limit, 500))))
    return [_event_json(row) for row in rows]


def record_events(session: Session, team: Team, batch: list[Any]) -> dict[str, Any]:
    if len(batch) > MAX_BATCH:
        raise InvalidInput(f"body: at most {MAX_BATCH} events per batch")
    for index, item in enumerate(batch):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not item["type"].strip():
            raise InvalidInput(f"body[{index}].type: each event needs a type")
    for item in batch:
        publish(session, CLIENT_EVENT, team.id, {"type": item["type"], "agent": team.agent_name,
                                                 "payload": {k: v for k, v in item.items() if k != "type"}})
    return {"ok": True, "count": len(batch)}


def search(session: Session, team: Team, query: str) -> dict[str, Any]:
    text = (query or "").strip()
    if not text:
        raise InvalidInput("q: required")
    pattern = f"%{text}%"
    board = team_board(session, team.id)
    found = list(session.scalars(select(Card).where(Card.board_id == board.id, Card.archived.is_(False),
                                                    or_(Card.title.ilike(pattern), Card.prompt.ilike(pattern)))
                                 .order_by(Card.created_at).limit(50)))
    return {"query": text, "tasks": tasks.tasks_json(session, team, found),
            "messages": _messages(session, team, pattern)}


def _messages(session: Session, team: Team, pattern: str) -> list[dict[str, Any]]:
    """Team messages (H2's table) when present."""
    try:
        from orchestrator.team import messages  # type: ignore[attr-defined]
    except ImportError:
        return []
    finder = getattr(messages, "search_messages", None)
    return finder(session, team, pattern) if finder is not None else []


def _event_json(row: Event) -> dict[str, Any]:
    kind, data = row.type, row.data
    if kind == CLIENT_EVENT:
        kind, data = data.get("type", kind), {**data.get("payload", {}), "agent": data.get("agent")}
    return {"id": row.id, "type": kind, "task_id": row.card_id, "data": data, "created_at": iso(row.created_at)}
