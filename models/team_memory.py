"""The agent-team dialect's knowledge and planning tables (seed 004): agent memories, progress
reports, sprints and their retrospectives, architecture decisions, messages and failures.
Agents are referred to by name, as the seed does (`TeamAgent.name` within the project)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id, utcnow


def _project_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)


class TeamMemory(Timestamps, Base):
    """What an agent keeps between sessions; `version` guards concurrent writers."""

    __tablename__ = "team_memories"
    __table_args__ = (UniqueConstraint("project_id", "agent_name", "key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("mem"))
    project_id: Mapped[str] = _project_fk()
    agent_name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default="project")
    content: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    shared: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    expires_days: Mapped[int | None]
    last_validated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamProgress(Base):
    """One step an agent reported while working (kept 24 h unless purged later)."""

    __tablename__ = "team_progress"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("prog"))
    project_id: Mapped[str] = _project_fk()
    agent_name: Mapped[str] = mapped_column(String(100))
    task_name: Mapped[str | None] = mapped_column(String(500))
    step: Mapped[str | None] = mapped_column(String(500))
    file: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_team_progress_project_agent_created", TeamProgress.project_id, TeamProgress.agent_name,
      TeamProgress.created_at)


class TeamSprint(Timestamps, Base):
    __tablename__ = "team_sprints"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sprint"))
    project_id: Mapped[str] = _project_fk()
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="active")
    goal: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[str | None] = mapped_column(String(40))
    retro_summary: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class TeamRetroComment(Base):
    __tablename__ = "team_retro_comments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("retro"))
    project_id: Mapped[str] = _project_fk()
    sprint_number: Mapped[int]
    agent_name: Mapped[str] = mapped_column(String(100))
    went_well: Mapped[str] = mapped_column(Text, default="")
    to_improve: Mapped[str] = mapped_column(Text, default="")
    suggested_tasks: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamDecision(Timestamps, Base):
    """An architecture decision record; `number` counts up per workspace."""

    __tablename__ = "team_adrs"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("adr"))
    project_id: Mapped[str] = _project_fk()
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    context: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    consequences: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    superseded_by: Mapped[str | None] = mapped_column(String(40))


class TeamMessage(Base):
    """The API-polling channel between people and agents (`to_name` None: the whole team)."""

    __tablename__ = "team_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    project_id: Mapped[str] = _project_fk()
    from_name: Mapped[str] = mapped_column(String(100))
    to_name: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamFailure(Base):
    """A task that failed or was rejected, kept so agents can learn from it."""

    __tablename__ = "team_failures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("fail"))
    project_id: Mapped[str] = _project_fk()
    task_id: Mapped[str | None] = mapped_column(String(40))
    agent_name: Mapped[str | None] = mapped_column(String(100))
    failure_type: Mapped[str] = mapped_column(String(40), default="other")
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
