"""Agent sessions from the board's side: queueing them, and what people ask of them.

Queueing marks the database session so the app wakes the scheduler once the change commits.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import (
    ACTIVE_SESSION_STATUSES,
    PRIORITY_NAMES,
    AgentMessage,
    AgentSession,
    Card,
    Column,
    Project,
    publish,
    utcnow,
)
from orchestrator.errors import Conflict, InvalidInput
from orchestrator.slash_commands import expand_slash_command
from orchestrator.team import execution as team_execution

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
    if busy or team_execution.left_to_client(session, card):  # a `local` agent's task: its client runs it
        return None
    runner = team_execution.runner_for(session, card)
    agent_session = AgentSession(project_id=card.project_id, card_id=card.id, column_id=column.id,
                                 status="queued", priority=card.priority, plan_mode=column.plan_mode,
                                 engine=team_execution.session_engine(runner) if runner else column.engine,
                                 model=(runner.model if runner else None) or column.model)
    session.add(agent_session)
    session.flush()
    if runner is not None:
        team_execution.record_spawn(session, runner, agent_session)
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
    if status == "failed" and agent_session.kind == "card":
        from orchestrator.team.failures import record_session_failure  # team/ imports this module

        record_session_failure(session, agent_session)  # a team task's failure is kept for its agents
    publish(session, "session.status", agent_session.project_id,
            {"sessionId": agent_session.id, "cardId": agent_session.card_id, "status": status},
            agent_session.card_id)
    session.info[WAKE_FLAG] = True


# What people ask of a card's agent --------------------------------------------------------------

RESUMABLE = ("completed", "failed", "cancelled", "interrupted")
PLAN_APPROVED = "The plan is approved. Implement it now, then call finish with a summary."
PLAN_REJECTED = "The plan was not approved. Feedback:\n{feedback}\n\nRevise the plan and submit it again."


def card_sessions(session: Session, card_id: str) -> list[AgentSession]:
    return list(session.scalars(
        select(AgentSession).where(AgentSession.card_id == card_id).order_by(AgentSession.queued_at)))


def latest_session(session: Session, card_id: str) -> AgentSession | None:
    return session.scalar(select(AgentSession).where(AgentSession.card_id == card_id)
                          .order_by(AgentSession.queued_at.desc(), AgentSession.id.desc()).limit(1))


def require_latest(session: Session, card: Card) -> AgentSession:
    found = latest_session(session, card.id)
    if found is None:
        raise Conflict(f"card {card.id} has no agent session yet", code="no_session")
    return found


def cancel_agent(session: Session, card: Card) -> AgentSession:
    agent_session = require_latest(session, card)
    request_cancel(session, agent_session)
    session.info[WAKE_FLAG] = True  # the tick relays the cancel to the worker at once
    return agent_session


def send_message(session: Session, card: Card, text: str) -> AgentSession:
    """Delivered at the next turn of a running session; an ended one continues with it.
    A message that starts with a slash command is stored as that command's prompt."""
    text = expand_slash_command(session, session.get_one(Project, card.project_id), text)
    agent_session = require_latest(session, card)
    add_person_message(session, agent_session, text)
    if agent_session.status in RESUMABLE:
        resume(session, agent_session)
    return agent_session


def decide_plan(session: Session, card: Card, approved: bool, feedback: str | None) -> AgentSession:
    agent_session = require_latest(session, card)
    if agent_session.status != "awaiting_plan_approval":
        raise Conflict(f"no plan is waiting on card {card.id} (the session is {agent_session.status})",
                       code="no_plan_waiting")
    if not approved and not (feedback or "").strip():
        raise InvalidInput("feedback: say what to change when rejecting a plan")
    agent_session.plan_mode = not approved
    text = PLAN_APPROVED if approved else PLAN_REJECTED.format(feedback=feedback)
    if approved and feedback:
        text = f"{text}\n\nNotes: {feedback}"
    add_person_message(session, agent_session, text)
    publish(session, "plan.decided", card.project_id,
            {"sessionId": agent_session.id, "cardId": card.id, "approved": approved}, card.id)
    resume(session, agent_session)
    return agent_session


def retry(session: Session, card: Card) -> AgentSession:
    """Run the last session again from its recorded conversation."""
    agent_session = require_latest(session, card)
    if agent_session.status not in ("failed", "cancelled", "interrupted"):
        raise Conflict(f"the last session is {agent_session.status}; only an ended one can be retried",
                       code="not_retryable")
    agent_session.attempt += 1
    resume(session, agent_session)
    return agent_session


def relaunch(session: Session, card: Card) -> AgentSession:
    """A fresh session, with a fresh conversation, in the card's column."""
    current = active_session(session, card.id)
    if current is not None:
        raise Conflict(f"session {current.id} is still {current.status}; cancel it first", code="agent_running")
    column = session.get(Column, card.column_id)
    started = queue_session(session, card, column) if column else None
    if started is None:
        raise Conflict("the card is not in an active column (or is deferred or archived)", code="not_active")
    return started


RELAY_NOTICE = ("Relay: a fresh conversation, seeded with an account of the earlier sessions on this card "
                "(see the first message).")


def relay(session: Session, card: Card) -> AgentSession:
    """A fresh session told what the earlier ones did. The notice it starts with marks it, so the
    prompt composer (which checks `is_relay`) adds the account; recorded history skips notices."""
    started = relaunch(session, card)
    session.add(AgentMessage(session_id=started.id, seq=1, kind="notice", text=RELAY_NOTICE))
    return started


def is_relay(session: Session, agent_session_id: str) -> bool:
    return bool(session.scalar(select(exists().where(
        AgentMessage.session_id == agent_session_id, AgentMessage.kind == "notice",
        AgentMessage.text == RELAY_NOTICE))))


def resume(session: Session, agent_session: AgentSession) -> None:
    agent_session.error_code = agent_session.error_message = None
    agent_session.ended_at = None
    agent_session.cancel_requested = False
    agent_session.outcome_applied = False
    set_status(session, agent_session, "queued")


def project_active_sessions(session: Session, project_id: str) -> list[tuple[AgentSession, str]]:
    return [(row, title) for row, title in session.execute(
        select(AgentSession, Card.title).join(Card, Card.id == AgentSession.card_id)
        .where(AgentSession.project_id == project_id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES))
        .order_by(AgentSession.queued_at)).tuples().all()]


def session_messages(session: Session, agent_session_ids: list[str], since: object = None, before: object = None,
                     limit: int = 200) -> list[AgentMessage]:
    query = select(AgentMessage).where(AgentMessage.session_id.in_(agent_session_ids))
    if since is not None:
        query = query.where(AgentMessage.created_at > since)
    if before is not None:
        query = query.where(AgentMessage.created_at < before)
    rows = session.scalars(query.order_by(AgentMessage.created_at.desc(), AgentMessage.seq.desc()).limit(limit))
    return list(reversed(rows.all()))


# Conversations without a card: pre-sessions and the project assistant --------------------------


def queue_chat_session(session: Session, project_id: str, kind: str, first_message: str) -> AgentSession:
    """A chat is run like any session (claimed by the dispatcher, recorded) but has no card and no
    column; its first message waits undelivered for the worker, as a person's message does. A
    person is waiting for the answer, so it is claimed before queued card sessions (priority
    above urgent)."""
    agent_session = AgentSession(project_id=project_id, kind=kind, status="queued", priority=len(PRIORITY_NAMES))
    session.add(agent_session)
    session.flush()
    add_person_message(session, agent_session, first_message)
    publish(session, "session.queued", project_id, {"sessionId": agent_session.id, "kind": kind})
    session.info[WAKE_FLAG] = True
    return agent_session


def message_chat_session(session: Session, agent_session: AgentSession, text: str) -> None:
    """Delivered at the next turn of a chat that is answering; an answered or failed one is queued
    again. The row is locked first, so a worker ending the chat at this moment either sees the
    message or has ended before it is read here (see chat_sessions.finish_chat)."""
    session.refresh(agent_session, with_for_update=True)
    add_person_message(session, agent_session, text)
    if agent_session.status in RESUMABLE:
        resume(session, agent_session)
