"""Seed 000's shapes of Switchyard's rows: boards, lanes (columns), tasks (cards), turns.

They live in the orchestrator rather than the web layer because webhooks send tasks in the same
shape as the API shows them. Priority is the stored integer 0-4; tags are the card's labels; a
task's description is its work order (`prompt`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row

from models import Board, Card, Column, Comment, Todo, Turn, iso

# A card change's field names as seed 000 calls them.
FIELD_NAMES = {"prompt": "description", "labels": "tags", "columnId": "laneId"}


def board_json(board: Board) -> dict[str, Any]:
    return {"id": board.id, "name": board.name}


def lane_json(column: Column) -> dict[str, Any]:
    """`type` is Switchyard's: whether a task entering the lane runs an agent (active)."""
    return {"id": column.id, "name": column.name, "position": column.position, "type": column.column_type}


def task_json(card: Card) -> dict[str, Any]:
    return {
        "id": card.id,
        "shortId": card.short_id,
        "title": card.title,
        "laneId": card.column_id,
        "priority": card.priority,
        "tags": list(card.labels or []),
        "archived": card.archived,
        "createdAt": iso(card.created_at),
        "updatedAt": iso(card.updated_at),
    }


def task_detail_json(card: Card, last_turn_at: datetime | None) -> dict[str, Any]:
    return {
        "id": card.id,
        "shortId": card.short_id,
        "title": card.title,
        "description": card.prompt,
        "laneId": card.column_id,
        "priority": card.priority,
        "tags": list(card.labels or []),
        "archived": card.archived,
        "createdAt": iso(card.created_at),
        "updatedAt": iso(card.updated_at),
        "lastTurnAt": iso(last_turn_at),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "body": comment.body, "authorName": comment.author_name,
            "authorSource": comment.author_type, "createdAt": iso(comment.created_at)}


def todo_json(todo: Todo) -> dict[str, Any]:
    return {"id": todo.id, "text": todo.text, "done": todo.done, "iteration": todo.iteration,
            "order": todo.position, "source": todo.source or "user", "completedAt": iso(todo.completed_at),
            "createdAt": iso(todo.created_at), "updatedAt": iso(todo.updated_at)}


def turn_json(turn: Turn | Row[Any]) -> dict[str, Any]:
    """Seed 000's turn, plus what Switchyard records of its own sessions' turns (DESIGN.md)."""
    extra = turn.extra or {}
    return {
        "id": turn.id,
        "source": turn.source,
        "sourceId": turn.source_id,
        "role": turn.role,
        "content": turn.content,
        "toolUseOnly": bool(extra.get("toolUseOnly", not turn.content)),
        "capturedAt": iso(turn.captured_at),
        "sessionId": turn.session_id,
        "model": turn.model,
        "inputTokens": turn.input_tokens,
        "outputTokens": turn.output_tokens,
        "cacheReadTokens": turn.cache_read_tokens,
        "cacheWriteTokens": turn.cache_write_tokens,
        "costUsd": turn.cost_usd,
        "durationMs": turn.duration_ms,
    }
