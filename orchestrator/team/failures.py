"""Failure records: what went wrong with a task, so the next agent avoids it. Recorded
automatically when a review rejects a task or a Switchyard session on a team task fails, and by
clients through `POST /api/v1/failures`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgentSession, Card, TeamFailure, iso
from orchestrator.errors import InvalidInput
from orchestrator.team.workspaces import Team, require_writer

TYPES = ("review_rejected", "session_failed", "build_failed", "test_failed", "other")
RELEVANT_DEFAULT = 5


def failure_json(row: TeamFailure) -> dict[str, Any]:
    return {"id": row.id, "workspace_id": row.project_id, "task_id": row.task_id, "agent_name": row.agent_name,
            "failure_type": row.failure_type, "summary": row.summary, "detail": row.detail,
            "created_at": iso(row.created_at)}


def relevant_json(row: TeamFailure) -> dict[str, Any]:
    return {"summary": row.summary, "failure_type": row.failure_type, "agent_name": row.agent_name,
            "created_at": iso(row.created_at)}


def list_failures(session: Session, team: Team, limit: int | None = None) -> list[TeamFailure]:
    """Newest first."""
    if limit is not None and limit < 1:
        raise InvalidInput("limit: must be at least 1")
    query = select(TeamFailure).where(TeamFailure.project_id == team.id)
    return list(session.scalars(query.order_by(TeamFailure.created_at.desc(), TeamFailure.id.desc()).limit(limit)))


def report_failure(session: Session, team: Team, fields: dict[str, Any]) -> TeamFailure:
    require_writer(session, team)
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise InvalidInput("summary: required")
    kind = fields.get("failure_type") or "other"
    if kind not in TYPES:
        raise InvalidInput(f"failure_type: must be one of {', '.join(TYPES)}")
    return record(session, team.id, kind, summary, task_id=fields.get("task_id"),
                  agent_name=fields.get("agent_name") or team.agent_name, detail=fields.get("detail"))


def record(session: Session, project_id: str, kind: str, summary: str, task_id: str | None = None,
           agent_name: str | None = None, detail: str | None = None) -> TeamFailure:
    row = TeamFailure(project_id=project_id, failure_type=kind, summary=summary, task_id=task_id,
                      agent_name=agent_name, detail=detail)
    session.add(row)
    session.flush()
    return row


def record_rejection(session: Session, card: Card, reason: str) -> None:
    """Hook of orchestrator.team.review.reject."""
    record(session, card.project_id, "review_rejected", f"{card.title}: rejected in review: {reason}",
           task_id=card.id, agent_name=card.assigned_agent_id, detail=reason)


def record_session_failure(session: Session, row: AgentSession) -> None:
    """Hook of orchestrator.agent_sessions.set_status: a failed session on a team task."""
    from orchestrator.team.execution import is_team_card

    card = session.get(Card, row.card_id) if row.card_id else None
    if card is None or not is_team_card(session, card):
        return
    reason = row.error_message or row.error_code or "the session failed"
    record(session, card.project_id, "session_failed", f"{card.title}: session failed: {reason}",
           task_id=card.id, agent_name=card.assigned_agent_id, detail=row.error_code)
