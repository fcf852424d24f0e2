"""Seed 003's minimal tasks API on one board: todo, doing and done, by column type.

The board is the key's `defaultBoardId`, else its default project's first board. `todo` is the
board's backlog columns, `doing` every active column, `done` the done columns; moving a task to
`doing` enters the first active column, so its agent starts like any card's (DESIGN.md, "Seed 000
and 003 on boards"). Priorities show as low, medium, high, urgent (none shows as low).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import PRIORITY_NAMES, Board, Card, Column, iso, utcnow
from orchestrator import assistant, cards
from orchestrator.api_keys import KeyGrant, require_board
from orchestrator.errors import Conflict, InvalidInput, NotFound

COLUMN_TYPES = {"todo": "backlog", "doing": "active", "done": "done"}
STATUSES = {"backlog": "TODO", "active": "DOING", "done": "DONE", "archive": "ARCHIVED"}
# A base score per stored priority, raised by up to DUE_BONUS as the due date comes near.
BASE_SCORE = (0.25, 0.25, 0.5, 0.7, 0.9)
DUE_BONUS = 0.1
DUE_HORIZON_HOURS = 7 * 24


def key_board(session: Session, grant: KeyGrant, need: str = "read") -> Board:
    board_id = grant.default_board_id
    if board_id is None and grant.default_project_id:
        board_id = session.scalar(select(Board.id).where(Board.project_id == grant.default_project_id)
                                  .order_by(Board.position, Board.id).limit(1))
    if board_id is None:
        raise InvalidInput("the API key names no default board or project with a board; set defaultBoardId "
                           "or defaultProjectId on the key", code="no_default_board")
    return require_board(session, grant, board_id, need)


def list_tasks(session: Session, grant: KeyGrant, status: str) -> list[tuple[Card, Column]]:
    """The board's tasks in the columns of `status` (todo, doing, done), in board order."""
    board = key_board(session, grant)
    query = (select(Card, Column).join(Column, Column.id == Card.column_id)
             .where(Card.board_id == board.id, Card.archived.is_(False),
                    Column.column_type == COLUMN_TYPES[status])
             .order_by(Column.position, Card.position))
    return [(card, column) for card, column in session.execute(query).tuples()]


def add_task(session: Session, grant: KeyGrant, fields: dict[str, Any]) -> tuple[Card, Column]:
    """A new task at the end of the board's first backlog (TODO) column."""
    board = key_board(session, grant, "edit")
    column = _first_column(session, board, "todo")
    card = cards.create_card(session, grant.actor, board.project_id, {
        "title": fields["title"], "prompt": fields.get("description"), "labels": fields.get("tags"),
        "priority": fields.get("priority") or "medium", "dueDate": fields.get("due_date"),
        "columnId": column.id, "boardId": board.id,
    })
    return card, column


def move_task(session: Session, grant: KeyGrant, task_id: str, to: str) -> tuple[Card, Column]:
    """Into the first column of `to`, unless the task is in a column of that status already."""
    board = key_board(session, grant, "edit")
    card = _task(session, board, task_id)
    current = session.get(Column, card.column_id)
    if current is None or current.column_type != COLUMN_TYPES[to]:
        current = _first_column(session, board, to)
        cards.move_card(session, grant.actor, card, current.id)
    return card, current


def chat(session: Session, grant: KeyGrant, message: str) -> str:
    """Hand the message to the project assistant; its answer comes in the assistant's own time."""
    board = key_board(session, grant, "edit")
    conversation = assistant.send_message(session, grant.actor, board.project_id, message)
    return (f"Message received. The project assistant is answering in the project's assistant chat "
            f"(conversation {conversation.id}); ask again with action=todo, doing or done to see changes.")


def task_json(card: Card, column: Column) -> dict[str, Any]:
    return {"id": card.id, "title": card.title, "description": card.prompt, "priority": priority_name(card),
            "priority_score": priority_score(card), "status": STATUSES[column.column_type],
            "created_at": iso(card.created_at), "due_date": iso(card.due_date), "tags": list(card.labels or [])}


def task_brief(card: Card, column: Column) -> dict[str, Any]:
    return {"id": card.id, "title": card.title, "status": STATUSES[column.column_type],
            "priority_score": priority_score(card), "created_at": iso(card.created_at)}


def priority_name(card: Card) -> str:
    return PRIORITY_NAMES[max(card.priority, 1)]


def priority_score(card: Card, now: datetime | None = None) -> float:
    """0-1, for agents picking what to do next: the priority, raised as the due date nears."""
    score = BASE_SCORE[card.priority]
    if card.due_date is not None:
        hours_left = (card.due_date - (now or utcnow())).total_seconds() / 3600
        nearness = 1 - min(max(hours_left, 0), DUE_HORIZON_HOURS) / DUE_HORIZON_HOURS
        score += DUE_BONUS * nearness
    return round(min(score, 1.0), 2)


def _first_column(session: Session, board: Board, status: str) -> Column:
    column = session.scalar(select(Column).where(Column.board_id == board.id,
                                                 Column.column_type == COLUMN_TYPES[status])
                            .order_by(Column.position).limit(1))
    if column is None:
        raise Conflict(f"board {board.id} has no {COLUMN_TYPES[status]} column for {status}", code="no_column")
    return column


def _task(session: Session, board: Board, task_id: str) -> Card:
    """By id, or by short id on the key's board."""
    card = session.get(Card, task_id)
    if card is None:
        card = session.scalar(select(Card).where(Card.board_id == board.id, Card.short_id == task_id.lower()))
    if card is None or card.board_id != board.id:
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    return card
