"""Agent sessions from the board's side: queueing them, and what people ask of them.

Queueing marks the database session so the app wakes the scheduler once the change commits.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import (
    ACTIVE_SESSION_STATUSES,
    AgentMessage,
    AgentSession,
    Card,
    Column,
    publish,
    utcnow,
)
from orchestrator.errors import Conflict

WAKE_FLAG = "wake_scheduler"


def active_session(session: Session, card_id: str) -> AgentSession | None:
    return session.scalar(
        select(AgentSession).where(AgentSession.card_id == card_id,
                                   AgentSession.status.in_(ACTIVE_SESSION_STATUSES))
        .order_by(AgentSession.queued_at.desc()).limit(1)
    )


def queue_session(session: Session, card: Card, column: Column) -> AgentSession | None:
    """A card in an active column gets one session; backlog, done and archive start nothing."""
    if column.column_type != "active" or card.deferred or card.archived:
        return None
    busy = session.scalar(select(exists().where(
        AgentSession.card_id == card.id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES))))
    if busy:
        return None
    agent_session = AgentSession(project_id=card.project_id, card_id=card.id, column_id=column.id,
                                 status="queued", priority=card.priority, plan_mode=column.plan_mode,
                                 engine=column.engine, model=column.model)
    session.add(agent_session)
    session.flush()
    publish(session, "session.queued", card.project_id,
            {"sessionId": agent_session.id, "cardId": card.id, "columnId": column.id}, card.id)
    session.info[WAKE_FLAG] = True
    return agent_session


def request_cancel(session: Session, agent_session: AgentSession) -> None:
    """A queued session ends at once; a running one is told, and its worker stops within 2 s."""
    if agent_session.status not in ACTIVE_SESSION_STATUSES:
        raise Conflict(f"session {agent_session.id} is {agent_session.status}; nothing to cancel",
                       code="not_running")
    agent_session.cancel_requested = True
    if agent_session.status in ("queued", "awaiting_plan_approval", "awaiting_input"):
        set_status(session, agent_session, "cancelled")


def add_person_message(session: Session, agent_session: AgentSession, text: str) -> AgentMessage:
    """Stored undelivered; the running worker picks it up at its next turn."""
    seq = (session.scalar(select(func.max(AgentMessage.seq)).where(AgentMessage.session_id == agent_session.id))
           or 0) + 1
    message = AgentMessage(session_id=agent_session.id, seq=seq, kind="user", text=text, delivered=False)
    session.add(message)
    return message


def set_status(session: Session, agent_session: AgentSession, status: str) -> None:
    """The one place a session's status changes, so every change is announced."""
    agent_session.status = status
    if status in ("completed", "failed", "cancelled", "interrupted"):
        agent_session.ended_at = agent_session.ended_at or utcnow()
        agent_session.lease_owner = None
    publish(session, "session.status", agent_session.project_id,
            {"sessionId": agent_session.id, "cardId": agent_session.card_id, "status": status},
            agent_session.card_id)
    session.info[WAKE_FLAG] = True
