"""Team messages: the API-polling channel between people and agents (a dashboard connected over
WebSocket gets the same messages as `client.event` events). `to` "team" (or none) is team-wide."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import TeamMessage, iso, publish
from orchestrator.errors import InvalidInput
from orchestrator.team.workspaces import Team, require_writer

TEAM = "team"
MAX_CONTENT = 20_000
LIST_LIMIT = 200


def message_json(row: TeamMessage) -> dict[str, Any]:
    return {"id": row.id, "workspace_id": row.project_id, "from": row.from_name, "to": row.to_name or TEAM,
            "content": row.content, "created_at": iso(row.created_at)}


def list_messages(session: Session, team: Team, channel: str | None = None, mode: str | None = None) -> list[TeamMessage]:
    """Oldest first (a chat log), the newest LIST_LIMIT. `channel`: to or from that agent."""
    if mode is not None and mode != TEAM:
        raise InvalidInput("mode: must be team")
    query = select(TeamMessage).where(TeamMessage.project_id == team.id)
    if mode == TEAM:
        query = query.where(TeamMessage.to_name.is_(None))
    if channel:
        query = query.where(or_(TeamMessage.to_name == channel, TeamMessage.from_name == channel))
    rows = session.scalars(query.order_by(TeamMessage.created_at.desc(), TeamMessage.id.desc()).limit(LIST_LIMIT))
    return list(reversed(rows.all()))


def send_message(session: Session, team: Team, fields: dict[str, Any]) -> TeamMessage:
    require_writer(session, team)
    content = fields.get("content")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("content: required")
    if len(content) > MAX_CONTENT:
        raise InvalidInput(f"content: at most {MAX_CONTENT} characters")
    sender = (fields.get("from") or team.agent_name or "user").strip()
    target = (fields.get("to") or "").strip()
    row = TeamMessage(project_id=team.id, from_name=sender, to_name=None if target in ("", TEAM) else target,
                      content=content)
    session.add(row)
    session.flush()
    publish(session, "client.event", team.id, {"type": "message", "agent": sender, "payload": message_json(row)})
    return row


def search_messages(session: Session, team: Team, pattern: str) -> list[dict[str, Any]]:
    """H1's search hook: `pattern` is already a LIKE pattern."""
    rows = session.scalars(select(TeamMessage).where(TeamMessage.project_id == team.id,
                                                     TeamMessage.content.ilike(pattern))
                           .order_by(TeamMessage.created_at).limit(50))
    return [message_json(row) for row in rows]
