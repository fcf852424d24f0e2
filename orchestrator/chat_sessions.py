"""Running a chat (a pre-session or the project assistant) once the dispatcher has claimed it.

Chats are AgentSessions without a card: claimed, leased, recorded and cancelled like card
sessions, but with no worktree, no pipeline and tools of their own. Their outcome `completed`
means "the model has answered"; the next person's message queues the conversation again
(agent_sessions.message_chat_session).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgentMessage, AgentSession, Card, Column, Project, publish, utcnow
from models.db import reading
from orchestrator import assistant, live, pre_sessions
from orchestrator.agent_sessions import resume, set_status
from orchestrator.credentials import API_FAMILY, resolve_credential
from orchestrator.errors import DomainError, InvalidInput
from orchestrator.pricing import cost_of
from orchestrator.runtime import Runtime
from workers.agent import Agent, Limits, Outcome
from workers.engines.api_clients import API_ENGINES, api_client
from workers.engines.base import Message, ToolCall, ToolSpec
from workers.recording import SessionRecorder, load_history
from workers.tools import ToolOutcome

log = logging.getLogger(__name__)


class Chat(Protocol):
    """What a kind of chat brings: its system prompt and its tools."""

    system: str
    specs: Sequence[ToolSpec]

    def execute(self, call: ToolCall) -> ToolOutcome: ...


@dataclass
class PreparedChat:
    chat: Chat
    engine: str
    secret: str
    base_url: str | None
    model: str | None
    history: list[Message]
    limits: Limits


def session_kind(runtime: Runtime, session_id: str) -> str | None:
    with reading(runtime.sessions) as db:
        return db.scalar(select(AgentSession.kind).where(AgentSession.id == session_id))


def run_chat_session(runtime: Runtime, session_id: str, owner: str, cancel: threading.Event) -> None:
    """The whole run of one claimed chat in this process: until the model answers."""
    try:
        prepared = prepare_chat(runtime, session_id, owner)
    except DomainError as exc:
        finish_chat(runtime, session_id, Outcome("failed", error_code=exc.code, error_message=exc.message))
        return
    if prepared is None:
        return
    recorder = SessionRecorder(runtime.sessions, session_id, prepared.engine, owner,
                               runtime.settings.agents.lease_seconds, cancel, text_sink=live.text_sink(runtime))
    agent = Agent(model=api_client(prepared.engine, prepared.secret, prepared.model, prepared.base_url),
                  tools=prepared.chat, tool_specs=prepared.chat.specs, recorder=recorder, limits=prepared.limits,
                  price=lambda model, usage: cost_of(model, usage, runtime.settings.pricing))
    try:
        outcome = agent.run(prepared.chat.system, prepared.history)
    except Exception as exc:  # a bug must not leave the chat running forever
        log.exception("session_id=%s: chat crashed", session_id)
        outcome = Outcome("failed", error_code="internal_error", error_message=f"the chat crashed: {exc}")
    finish_chat(runtime, session_id, outcome)


def prepare_chat(runtime: Runtime, session_id: str, owner: str) -> PreparedChat | None:
    """Resolve the chat, its credential and its conversation so far; mark it running."""
    settings = runtime.settings
    with runtime.transaction() as db:
        row = db.get(AgentSession, session_id)
        if row is None or row.status != "starting" or row.lease_owner != owner:
            return None
        chat, card, column = _open_chat(db, runtime, row)
        project = db.get(Project, row.project_id)
        assert project is not None  # the session is deleted with its project
        env_keys = {"anthropic": settings.providers.anthropic_api_key, "openai": settings.providers.openai_api_key}
        credential = resolve_credential(db, runtime.keyring, env_keys, card, column, project)
        engine = API_FAMILY.get(credential.engine, credential.engine)  # a CLI's key speaks its vendor's API
        if engine not in API_ENGINES:
            raise InvalidInput(f"chats need an API engine, not {credential.engine}", code="engine_not_available")
        row.engine, row.model, row.credential_id = engine, _model(credential.model, column), credential.credential_id
        row.started_at, row.heartbeat_at = row.started_at or utcnow(), utcnow()
        set_status(db, row, "running")
        publish(db, "session.started", row.project_id, {"sessionId": row.id, "kind": row.kind})
        history = load_history(db, session_id)
        model = row.model
    limits = Limits(max_turns=settings.agents.max_turns, max_retries=settings.agents.provider_retries,
                    backoff_base=settings.agents.retry_base_seconds)
    return PreparedChat(chat=chat, engine=engine, secret=credential.secret, base_url=credential.base_url,
                        model=model, history=history, limits=limits)


def _open_chat(db: Session, runtime: Runtime, row: AgentSession) -> tuple[Chat, Card | None, Column | None]:
    """The chat of this kind, with the card and column its credential resolves from (if any)."""
    if row.kind == pre_sessions.KIND:
        return pre_sessions.open_chat(db, runtime, row)
    if row.kind == assistant.KIND:
        return assistant.open_chat(db, runtime, row), None, None
    raise InvalidInput(f"session {row.id} is of an unknown kind {row.kind!r}", code="internal_error")


def _model(credential_model: str | None, column: Column | None) -> str | None:
    """As for card sessions, the column's model first, when the column speaks an API; a CLI
    column's model names ("sonnet") mean nothing to the API."""
    if column is not None and column.model and column.engine in (None, *API_ENGINES):
        return column.model
    return credential_model


def finish_chat(runtime: Runtime, session_id: str, outcome: Outcome) -> None:
    """Record how the run ended. The row is locked first: a person's message that arrived while
    the model answered queues the chat again instead of waiting for the next one."""
    with runtime.transaction() as db:
        row = db.get(AgentSession, session_id, with_for_update=True)
        if row is None:
            return
        row.summary = outcome.summary or row.summary
        row.error_code, row.error_message = outcome.error_code, outcome.error_message
        row.cancel_requested = False
        if outcome.status == "completed" and _has_pending_message(db, session_id):
            resume(db, row)
            return
        row.outcome_applied = True  # a chat has no pipeline for the tick to apply
        set_status(db, row, outcome.status)
        publish(db, "session.ended", row.project_id,
                {"sessionId": row.id, "kind": row.kind, "status": outcome.status,
                 "error": {"code": outcome.error_code, "message": outcome.error_message}
                 if outcome.error_code else None})
    log.info("session_id=%s chat ended: %s %s", session_id, outcome.status, outcome.error_code or "")


def _has_pending_message(db: Session, session_id: str) -> bool:
    return db.scalar(select(AgentMessage.id).where(AgentMessage.session_id == session_id,
                                                   AgentMessage.delivered.is_(False)).limit(1)) is not None
