"""A board's transitions in the database: reading and replacing the set, and the rule for a move.

The rule itself is `workflow.check_transition`; `check_move` feeds it the card's board.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Board, Column, ColumnTransition, publish
from orchestrator import workflow
from orchestrator.access import Actor, require_in_project


def board_transitions(session: Session, board_id: str) -> list[ColumnTransition]:
    return list(session.scalars(select(ColumnTransition).where(ColumnTransition.board_id == board_id)
                                .order_by(ColumnTransition.from_column_id, ColumnTransition.to_column_id)))


def list_transitions(session: Session, actor: Actor, project_id: str, board_id: str) -> list[ColumnTransition]:
    require_in_project(session, actor, Board, "board", project_id, board_id)
    return board_transitions(session, board_id)


def replace_transitions(
    session: Session, actor: Actor, project_id: str, board_id: str, items: list[dict[str, Any]]
) -> list[ColumnTransition]:
    """The whole set at once; an empty list lifts every rule (every move allowed again)."""
    board = require_in_project(session, actor, Board, "board", project_id, board_id, "editor")
    rules = [workflow.Transition(i["fromColumnId"], i["toColumnId"], bool(i.get("requiresApproval")))
             for i in items]
    column_ids = set(session.scalars(select(Column.id).where(Column.board_id == board.id)))
    workflow.check_transition_set(rules, column_ids)
    session.execute(delete(ColumnTransition).where(ColumnTransition.board_id == board.id))
    session.flush()
    for rule in rules:
        session.add(ColumnTransition(board_id=board.id, from_column_id=rule.from_column_id,
                                     to_column_id=rule.to_column_id, requires_approval=rule.requires_approval))
    session.flush()
    publish(session, "board.updated", project_id, {"boardId": board.id, "changed": ["transitions"]})
    return board_transitions(session, board.id)


def check_move(session: Session, actor: Actor, board: Board | str, from_column_id: str, to_column_id: str) -> None:
    """Apply the board's transition rule to a move of one of its cards (by `actor`)."""
    board_id = board if isinstance(board, str) else board.id
    rules = [workflow.Transition(t.from_column_id, t.to_column_id, t.requires_approval)
             for t in board_transitions(session, board_id)]
    workflow.check_transition(rules, from_column_id, to_column_id, actor.kind)
