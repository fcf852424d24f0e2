"""A readable account of a card's agent work, built from what was recorded (no model is asked).

The same per-session account seeds a relayed session's prompt (orchestrator.prompts), so what a
person reads and what the next agent is told agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ACTIVE_SESSION_STATUSES, AgentSession, Card, Column, Todo
from orchestrator.usage import usage_where

NO_WORK = "No agent has worked on this card yet."


def session_accounts(session: Session, card_id: str, ended_only: bool = False,
                     with_usage: bool = False) -> list[str]:
    """One paragraph per session on the card, oldest first."""
    query = (select(AgentSession, Column.name).outerjoin(Column, Column.id == AgentSession.column_id)
             .where(AgentSession.card_id == card_id, AgentSession.kind == "card"))
    if ended_only:
        query = query.where(AgentSession.status.not_in(ACTIVE_SESSION_STATUSES))
    rows = session.execute(query.order_by(AgentSession.queued_at, AgentSession.id)).tuples().all()
    return [describe_session(row, column_name, with_usage) for row, column_name in rows]


def describe_session(row: AgentSession, column_name: str | None, with_usage: bool = False) -> str:
    """Column and status, then whatever the session left: plan, summary, error, diff stats."""
    engine = ", ".join(part for part in (row.engine, row.model) if part)
    lines = [f"{column_name or '(a deleted column)'}: {row.status}" + (f" ({engine})" if engine else "")]
    if row.plan:
        lines.append(f"  Plan: {row.plan}")
    if row.summary:
        lines.append(f"  Summary: {row.summary}")
    if row.error_code:
        lines.append(f"  Error: {row.error_code}: {row.error_message or ''}".rstrip())
    if row.diff_stats:
        lines.append(f"  Changes: {_diff_stats(row.diff_stats)}")
    if with_usage:
        lines.append(f"  Usage: {_usage(_session_usage(row))}")
    return "\n".join(lines)


def card_summary(session: Session, card: Card) -> str:
    """The account a person reads: each session per column, totals, and the card's todos."""
    column = session.get(Column, card.column_id)
    accounts = session_accounts(session, card.id, with_usage=True)
    parts = [f"{card.title} ({card.short_id}), in {column.name if column else 'an unknown column'}"
             + (f", on branch {card.branch}." if card.branch else ".")]
    if not accounts:
        parts.append(NO_WORK)
    else:
        parts.append(f"{len(accounts)} agent session{'s' if len(accounts) != 1 else ''}:\n"
                     + "\n".join(f"{n}. {text}" for n, text in enumerate(accounts, 1)))
        parts.append(f"In all: {_usage(usage_where(session, AgentSession.card_id == card.id))}")
    todos = _todos(session, card.id)
    if todos:
        parts.append(todos)
    return "\n\n".join(parts)


def _todos(session: Session, card_id: str) -> str:
    rows = session.scalars(select(Todo).where(Todo.card_id == card_id).order_by(Todo.position)).all()
    if not rows:
        return ""
    done = sum(1 for t in rows if t.done)
    lines = [f"Todos: {len(rows) - done} open, {done} done"]
    lines += [f"- [{'x' if t.done else ' '}] {t.text}" for t in rows]
    return "\n".join(lines)


def _diff_stats(stats: dict[str, Any]) -> str:
    files = stats.get("filesChanged", 0)
    return (f"{files} file{'s' if files != 1 else ''} changed, "
            f"+{stats.get('insertions', 0)} -{stats.get('deletions', 0)} lines")


def _session_usage(row: AgentSession) -> dict[str, Any]:
    return {"inputTokens": row.input_tokens, "outputTokens": row.output_tokens,
            "costUsd": row.cost_usd, "costKnown": row.cost_known}


def _usage(usage: dict[str, Any]) -> str:
    cost = f"${usage['costUsd']:.4f}" if usage["costKnown"] else "cost unknown (a model without a price)"
    return f"{usage['inputTokens']} input and {usage['outputTokens']} output tokens, {cost}"
