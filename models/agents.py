"""What agents did: sessions, their messages and model turns, scripts and pre-sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id, utcnow

ACTIVE_SESSION_STATUSES = (
    "queued",
    "starting",
    "running",
    "awaiting_plan_approval",
    "awaiting_input",
)
ENDED_SESSION_STATUSES = ("completed", "failed", "cancelled", "interrupted")


class AgentSession(Timestamps, Base):
    """One run of an engine on one card in one column."""

    __tablename__ = "agent_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sess"))
    kind: Mapped[str] = mapped_column(String(20), default="card")  # card | assistant | pre_session
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[str | None] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[str | None] = mapped_column(
        ForeignKey("board_columns.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(30), default="queued", index=True)
    engine: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(200))
    credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), index=True
    )
    engine_session_id: Mapped[str | None] = mapped_column(String(200))  # a CLI's own id, to resume it
    attempt: Mapped[int] = mapped_column(default=1)
    priority: Mapped[int] = mapped_column(default=0)
    branch: Mapped[str | None] = mapped_column(String(300))
    worktree_path: Mapped[str | None] = mapped_column(String(1000))
    base_commit: Mapped[str | None] = mapped_column(String(64))
    head_commit: Mapped[str | None] = mapped_column(String(64))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_tokens: Mapped[int] = mapped_column(default=0)
    cache_write_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    cost_known: Mapped[bool] = mapped_column(default=True)
    summary: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str | None] = mapped_column(Text)
    diff_stats: Mapped[dict[str, Any] | None] = mapped_column()
    outcome_applied: Mapped[bool] = mapped_column(default=False)  # the tick applied the pipeline
    cancel_requested: Mapped[bool] = mapped_column(default=False)  # seen by a worker in any process
    plan_mode: Mapped[bool] = mapped_column(default=False)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


Index("ix_agent_sessions_card_status", AgentSession.card_id, AgentSession.status)


class AgentMessage(Base):
    """Every content block of a session, in order (`seq`)."""

    __tablename__ = "agent_messages"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    session_id: Mapped[str] = mapped_column(ForeignKey("agent_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # user|assistant|tool_call|tool_result|plan|error|notice
    text: Mapped[str] = mapped_column(Text, default="")
    tool_call_id: Mapped[str | None] = mapped_column(String(100))
    tool_name: Mapped[str | None] = mapped_column(String(100))
    tool_input: Mapped[dict[str, Any] | None] = mapped_column()
    is_error: Mapped[bool] = mapped_column(default=False)
    delivered: Mapped[bool] = mapped_column(default=True)  # a person's message waits for a turn
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Turn(Base):
    """One model exchange: Switchyard's own (`source` = switchyard:<engine>) or pushed by an IDE."""

    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("card_id", "source", "source_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("turn"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("agent_sessions.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(200))
    input_tokens: Mapped[int] = mapped_column(default=0)
    output_tokens: Mapped[int] = mapped_column(default=0)
    cache_read_tokens: Mapped[int] = mapped_column(default=0)
    cache_write_tokens: Mapped[int] = mapped_column(default=0)
    cost_usd: Mapped[float] = mapped_column(default=0.0)
    duration_ms: Mapped[int | None]
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# A task's turns in time order (pages of /turns), and each source's latest (watermarks).
Index("ix_turns_card_captured", Turn.card_id, Turn.captured_at, Turn.id)
Index("ix_turns_card_source_captured", Turn.card_id, Turn.source, Turn.captured_at, Turn.id)


class PreSession(Timestamps, Base):
    """A conversation that refines a card's prompt before any agent runs."""

    __tablename__ = "pre_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pre"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    agent_session_id: Mapped[str | None] = mapped_column(  # the conversation, run like any session
        ForeignKey("agent_sessions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | accepted | cancelled
    messages: Mapped[list[Any]] = mapped_column(default=list)
    refined_prompt: Mapped[str | None] = mapped_column(Text)


class Script(Timestamps, Base):
    __tablename__ = "scripts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("script"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    command: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)


class ScriptRun(Base):
    __tablename__ = "script_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("run"))
    script_id: Mapped[str] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    exit_code: Mapped[int | None]
    output: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
