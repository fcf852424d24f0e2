"""The work orders themselves, and what people and agents attach to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamps, new_id, utcnow

PRIORITY_NAMES = ("none", "low", "medium", "high", "urgent")


class Card(Timestamps, Base):
    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("project_id", "short_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("card"))
    short_id: Mapped[str] = mapped_column(String(8))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[str] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[str] = mapped_column(ForeignKey("board_columns.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    prompt: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=0)  # index into PRIORITY_NAMES
    due_date: Mapped[datetime | None]
    auto_mode: Mapped[bool] = mapped_column(default=False)
    credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL")
    )
    pipeline: Mapped[list[Any] | None] = mapped_column()  # [{columnId, prompt?}] or None
    budget_usd: Mapped[float | None]
    archived: Mapped[bool] = mapped_column(default=False)
    deferred: Mapped[bool] = mapped_column(default=False)
    field_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    card_type_id: Mapped[str | None] = mapped_column(ForeignKey("card_types.id", ondelete="SET NULL"))
    assigned_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_agent_id: Mapped[str | None] = mapped_column(String(200))
    pending_column_id: Mapped[str | None] = mapped_column(String(40))  # auto-advance awaiting approval
    branch: Mapped[str | None] = mapped_column(String(300))
    worktree_path: Mapped[str | None] = mapped_column(String(1000))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # dialect data (sprints, points, …)
    created_by: Mapped[str | None] = mapped_column(String(40))
    completed_at: Mapped[datetime | None]


Index("ix_cards_column_position", Card.column_id, Card.position)


class CardHistory(Base):
    """Append-only: nothing updates or deletes these rows (there is deliberately no FK to cards)."""

    __tablename__ = "card_history"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(40), index=True)
    project_id: Mapped[str] = mapped_column(String(40), index=True)
    actor_type: Mapped[str] = mapped_column(String(10))  # user | agent | api_key | system
    actor_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {field: {before, after}}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Timestamps, Base):
    __tablename__ = "comments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cmt"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    author_type: Mapped[str] = mapped_column(String(10))  # user | api | agent
    author_id: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)


class Todo(Timestamps, Base):
    __tablename__ = "todos"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("todo"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False)
    iteration: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(10))  # user | api | agent; None: user


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("att"))
    card_id: Mapped[str] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    storage_path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardView(Base):
    """When a person last looked at a card: a card changed since then shows as unread to them.

    `reader` is a user id, or "local" for the machine's developer with auth off (no user row, so
    no foreign key; deleting a user removes their marks).
    """

    __tablename__ = "card_views"

    reader: Mapped[str] = mapped_column(String(40), primary_key=True)
    card_id: Mapped[str] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
