"""Recording a session as it happens: every content block, every model turn, tokens and cost.

Each write is its own short transaction, so what was recorded survives a crash, and a resumed
session rebuilds its conversation from these rows (`load_history`) without sending a turn twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import AgentMessage, AgentSession, Turn, new_id, publish, utcnow
from models.db import reading
from workers.engines.base import (
    AssistantMessage,
    Message,
    ModelReply,
    ToolCall,
    ToolResult,
    UserMessage,
)
from workers.tools import ToolOutcome

INTERRUPTED_RESULT = (
    "[this tool call was interrupted when Switchyard stopped; it may or may not have taken "
    "effect. Check the worktree before repeating it.]"
)
CANCEL_POLL_SECONDS = 0.5

# The agent loop's statements, built once: they run several times per model turn, and building
# SQLAlchemy expressions each time cost more than running them. Executed on the session's
# connection (Core), so the ORM neither flushes nor synchronises objects for them.
_LATEST_SEQ = select(func.max(AgentMessage.seq)).where(AgentMessage.session_id == bindparam("sid"))
_ANY_PENDING = (select(AgentMessage.id)
                .where(AgentMessage.session_id == bindparam("sid"), AgentMessage.delivered.is_(False)).limit(1))
_INSERT_MESSAGES = insert(AgentMessage.__table__)
_INSERT_TURN = insert(Turn.__table__)
_TOUCH = (update(AgentSession.__table__).where(AgentSession.id == bindparam("sid"))
          .values(heartbeat_at=bindparam("now"), lease_expires_at=bindparam("expires")))
_ADD_USAGE = (update(AgentSession.__table__).where(AgentSession.id == bindparam("sid")).values(
    input_tokens=AgentSession.input_tokens + bindparam("input_tokens"),
    output_tokens=AgentSession.output_tokens + bindparam("output_tokens"),
    cache_read_tokens=AgentSession.cache_read_tokens + bindparam("cache_read_tokens"),
    cache_write_tokens=AgentSession.cache_write_tokens + bindparam("cache_write_tokens"),
    cost_usd=AgentSession.cost_usd + bindparam("cost_usd"),
    cost_known=AgentSession.cost_known & bindparam("cost_known"),
    model=bindparam("model"), heartbeat_at=bindparam("now"), lease_expires_at=bindparam("expires")))


class SessionRecorder:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        session_id: str,
        engine: str,
        lease_owner: str,
        lease_seconds: float,
        cancel: threading.Event,
        text_sink: Callable[[str, str], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.session_id = session_id
        self.source = f"switchyard:{engine}"
        self.lease_owner = lease_owner
        self.lease_seconds = lease_seconds
        self.cancel = cancel
        self.text_sink = text_sink
        self._last_poll = 0.0
        with reading(sessions) as db:
            row = db.get(AgentSession, session_id)
            assert row is not None
            self.project_id, self.card_id = row.project_id, row.card_id
            self.seq = db.scalar(
                select(func.coalesce(func.max(AgentMessage.seq), 0)).where(AgentMessage.session_id == session_id)
            )
            self.turn_count = db.scalar(select(func.count()).select_from(Turn).where(Turn.session_id == session_id))

    # The agent loop's Recorder protocol ---------------------------------------------------------

    def record_user(self, text: str) -> None:
        with self.sessions.begin() as db:
            self._insert(db, [self._row("user", text)])

    def record_reply(self, reply: ModelReply, cost_usd: float, cost_known: bool, turn: bool = True) -> None:
        """`turn=False` records only the content blocks: a CLI agent reports its tool calls as they
        happen but its usage once per turn (codex), so the turn is recorded apart."""
        usage = reply.usage
        with self.sessions.begin() as db:
            blocks = [self._row("assistant", reply.message.text)] if reply.message.text else []
            blocks += [self._row("tool_call", "", tool_call_id=call.id, tool_name=call.name, tool_input=call.input)
                       for call in reply.message.tool_calls]
            self._insert(db, blocks)
            connection = db.connection()
            if not turn:
                connection.execute(_TOUCH, self._lease_values())
                return
            self.turn_count += 1
            if self.card_id:
                connection.execute(_INSERT_TURN, {
                    "id": new_id("turn"), "card_id": self.card_id, "session_id": self.session_id,
                    "source": self.source, "source_id": f"{self.session_id}:{self.turn_count}", "role": "assistant",
                    "content": reply.message.text, "model": reply.model, "input_tokens": usage.input_tokens,
                    "output_tokens": usage.output_tokens, "cache_read_tokens": usage.cache_read_tokens,
                    "cache_write_tokens": usage.cache_write_tokens, "cost_usd": cost_usd,
                    "duration_ms": reply.duration_ms})
            connection.execute(_ADD_USAGE, {
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "cache_read_tokens": usage.cache_read_tokens, "cache_write_tokens": usage.cache_write_tokens,
                "cost_usd": cost_usd, "cost_known": cost_known, "model": reply.model, **self._lease_values()})

    def record_tool_result(self, call: ToolCall, outcome: ToolOutcome) -> None:
        with self.sessions.begin() as db:
            kind = "plan" if outcome.plan is not None else "tool_result"
            self._insert(db, [self._row(kind, outcome.plan if outcome.plan is not None else outcome.output,
                                        tool_call_id=call.id, tool_name=call.name, is_error=outcome.is_error)])
            db.connection().execute(_TOUCH, self._lease_values())

    def remember_engine_session(self, engine_session_id: str) -> None:
        """A CLI agent's own session id, so a later run (plan approved, a person's message) resumes it."""
        with self.sessions.begin() as db:
            db.execute(update(AgentSession).where(AgentSession.id == self.session_id)
                       .values(engine_session_id=engine_session_id))

    def on_text(self, delta: str) -> None:
        if self.text_sink is not None:
            self.text_sink(self.session_id, delta)

    def take_pending_messages(self) -> list[str]:
        """People's messages waiting for this session; delivered (and shown) from now on."""
        with reading(self.sessions) as db:  # asked every turn; rarely true, so look first
            if db.connection().execute(_ANY_PENDING, {"sid": self.session_id}).first() is None:
                return []
        with self.sessions.begin() as db:
            pending = db.scalars(
                select(AgentMessage).where(AgentMessage.session_id == self.session_id,
                                           AgentMessage.delivered.is_(False)).order_by(AgentMessage.seq)
            ).all()
            for message in pending:
                message.delivered = True
                # Its place in the conversation (load_history's order) is where the model sees it.
                message.seq = self._next_seq(db)
            return [m.text for m in pending]

    def cancel_requested(self) -> bool:
        """Set in-process at once; across processes, the session row is polled twice a second."""
        if self.cancel.is_set():
            return True
        now = time.monotonic()
        if now - self._last_poll >= CANCEL_POLL_SECONDS:
            self._last_poll = now
            with reading(self.sessions) as db:
                if db.scalar(select(AgentSession.cancel_requested).where(AgentSession.id == self.session_id)):
                    self.cancel.set()
        return self.cancel.is_set()

    # Helpers -------------------------------------------------------------------------------------

    def _next_seq(self, db: Session) -> int:
        """A person's message (add_person_message) may have taken the next seq since the last
        write, so the first message of each transaction looks, and the rest count on from there
        (one query per transaction, not per content block)."""
        if db.info.get("seq_synced_for") != self.session_id:
            with db.no_autoflush:
                latest = db.connection().execute(_LATEST_SEQ, {"sid": self.session_id}).scalar()
            self.seq = max(self.seq, latest or 0)
            db.info["seq_synced_for"] = self.session_id
        self.seq += 1
        return self.seq

    def _row(self, kind: str, text: str, **fields: Any) -> dict[str, Any]:
        return {"id": new_id("msg"), "kind": kind, "text": text, "tool_call_id": None, "tool_name": None,
                "tool_input": None, "is_error": False, **fields}

    def _insert(self, db: Session, rows: list[dict[str, Any]]) -> None:
        """Content blocks in order, each announced by a `message.created` event."""
        if not rows:
            return
        now = utcnow()
        for row in rows:
            row.update(session_id=self.session_id, seq=self._next_seq(db), delivered=True, created_at=now)
            publish(db, "message.created", self.project_id,
                    {"sessionId": self.session_id, "messageId": row["id"], "seq": row["seq"], "kind": row["kind"]},
                    self.card_id)
        db.connection().execute(_INSERT_MESSAGES, rows)

    def _lease_values(self) -> dict[str, Any]:
        now = utcnow()
        return {"sid": self.session_id, "now": now, "expires": now + timedelta(seconds=self.lease_seconds)}


def load_history(db: Session, session_id: str) -> list[Message]:
    """The conversation as recorded, ready to send again; unanswered tool calls are closed with a
    result saying they were interrupted, so the model decides what to do about them."""
    rows = db.scalars(
        select(AgentMessage).where(AgentMessage.session_id == session_id, AgentMessage.delivered.is_(True))
        .order_by(AgentMessage.seq)
    ).all()
    history: list[Message] = []
    open_calls: list[str] = []
    for row in rows:
        if row.kind in ("assistant", "tool_call"):
            current = history[-1] if history and isinstance(history[-1], AssistantMessage) else None
            if current is None or (row.kind == "assistant" and (current.text or current.tool_calls)):
                current = AssistantMessage(text="")
                history.append(current)
            if row.kind == "assistant":
                history[-1] = AssistantMessage(text=current.text + row.text, tool_calls=current.tool_calls)
            else:
                call = ToolCall(row.tool_call_id or "", row.tool_name or "", row.tool_input or {})
                history[-1] = AssistantMessage(text=current.text, tool_calls=(*current.tool_calls, call))
                open_calls.append(call.id)
        elif row.kind in ("tool_result", "plan") and row.tool_call_id:
            history.append(ToolResult(row.tool_call_id, row.text, row.is_error))
            if row.tool_call_id in open_calls:
                open_calls.remove(row.tool_call_id)
        elif row.kind == "user":
            history.extend(ToolResult(c, INTERRUPTED_RESULT, True) for c in open_calls)
            open_calls.clear()
            history.append(UserMessage(row.text))
    history.extend(ToolResult(c, INTERRUPTED_RESULT, True) for c in open_calls)
    return history
