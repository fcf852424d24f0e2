"""The agent-team dialect's own tables (seed 004): workspace settings, agents, stories, user tasks,
registered repositories and the security audit log. Tasks themselves are cards (`Card.extra`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id, utcnow


class TeamWorkspace(Timestamps, Base):
    """What seed 004 says about a workspace beyond the project itself (one row per project)."""

    __tablename__ = "team_workspaces"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    workflow: Mapped[str] = mapped_column(String(20), default="scrum")
    agent_type: Mapped[str] = mapped_column(String(20), default="claude-code")
    github_repo: Mapped[str | None] = mapped_column(String(300))
    spec: Mapped[str] = mapped_column(Text, default="")
    project_spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    terminal_emulator: Mapped[str | None] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # plan limits and the like


class TeamAgent(Timestamps, Base):
    """A named agent of a workspace: `local` ones run on a client's machine, `byok` ones here."""

    __tablename__ = "team_agents"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("agent"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="builder")  # manager | builder | …
    status: Mapped[str] = mapped_column(String(20), default="idle")
    activity: Mapped[str] = mapped_column(Text, default="")
    parent_agent: Mapped[str | None] = mapped_column(String(100))
    ws_port: Mapped[int | None]
    engine: Mapped[str] = mapped_column(String(20), default="claude-code")
    execution_mode: Mapped[str] = mapped_column(String(10), default="local")  # local | byok
    model: Mapped[str | None] = mapped_column(String(200))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id", ondelete="SET NULL"))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    command_template: Mapped[str | None] = mapped_column(Text)
    last_seen_at: Mapped[datetime | None]
    ever_active: Mapped[bool] = mapped_column(default=False)


class TeamStory(Timestamps, Base):
    __tablename__ = "team_stories"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("story"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    sprint: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=3)  # stored 0-4 like cards
    status: Mapped[str] = mapped_column(String(20), default="todo")


class TeamUserTask(Timestamps, Base):
    """A person's manual task, beside the agents' sprint tasks."""

    __tablename__ = "team_user_tasks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("utask"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="todo")
    related_tasks: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime | None]


class TeamRepository(Timestamps, Base):
    __tablename__ = "team_repositories"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("repo"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    repo_path: Mapped[str] = mapped_column(String(500))
    repo_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    access_agents: Mapped[list[Any]] = mapped_column(default=list)


class TeamAuditLog(Base):
    """Append-only security log: auth events, key use, agent spawns."""

    __tablename__ = "team_audit_logs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("audit"))
    project_id: Mapped[str | None] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_team_audit_logs_project_created", TeamAuditLog.project_id, TeamAuditLog.created_at)
