"""Where work lives: projects on git repositories, their boards, columns and templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id


class Project(Timestamps, Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("proj"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(String(1000))
    base_branch: Mapped[str] = mapped_column(String(200), default="main")
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id"), index=True
    )
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    default_credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    worktree_include: Mapped[list[Any]] = mapped_column(default=list)
    max_concurrent_sessions: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    last_opened_at: Mapped[datetime | None]


class Board(Timestamps, Base):
    __tablename__ = "boards"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("board"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    purpose: Mapped[str] = mapped_column(String(20), default="kanban")  # kanban | team


class Column(Timestamps, Base):
    """A stage of the pipeline, holding the stage's whole policy in one row."""

    __tablename__ = "board_columns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("col"))
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    column_type: Mapped[str] = mapped_column(String(10))  # backlog | active | done | archive
    prompt: Mapped[str] = mapped_column(Text, default="")
    credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    engine: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(200))
    plan_mode: Mapped[bool] = mapped_column(default=False)
    wip_limit: Mapped[int | None]
    budget_usd: Mapped[float | None]
    timeout_seconds: Mapped[int | None]
    required_fields: Mapped[list[Any]] = mapped_column(default=list)
    key: Mapped[str | None] = mapped_column(String(40))  # stable name on generated boards (team)


class ColumnTransition(Base):
    __tablename__ = "column_transitions"
    __table_args__ = (UniqueConstraint("from_column_id", "to_column_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tr"))
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    from_column_id: Mapped[str] = mapped_column(ForeignKey("board_columns.id", ondelete="CASCADE"))
    to_column_id: Mapped[str] = mapped_column(ForeignKey("board_columns.id", ondelete="CASCADE"))
    requires_approval: Mapped[bool] = mapped_column(default=False)


class BoardTemplate(Timestamps, Base):
    """A user-made template; the built-in ones live in code (orchestrator/templates.py)."""

    __tablename__ = "board_templates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tpl"))
    name: Mapped[str] = mapped_column(String(200))
    columns: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CardType(Base):
    __tablename__ = "card_types"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ctype"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    builtin: Mapped[bool] = mapped_column(default=False)


class CustomField(Timestamps, Base):
    __tablename__ = "custom_fields"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("field"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[Any]] = mapped_column(default=list)
    validation: Mapped[str | None] = mapped_column(Text)


Index("ix_board_columns_board_position", Column.board_id, Column.position)
