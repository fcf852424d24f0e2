"""Seed 000's tasks: Switchyard cards on a board the key may use.

Creating, changing, moving and deleting go through orchestrator.cards, so a task moved into an
active lane queues its agent like any card, and history names the key (actor `api_key`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PRIORITY_NAMES, Board, Card, Column, Turn
from orchestrator import cards
from orchestrator.api_keys import KeyGrant, require_board
from orchestrator.errors import NotFound
from orchestrator.ext.boards import get_lane

# Seed 000's updatable fields, by the card attributes' API names (orchestrator.cards.EDITABLE).
UPDATABLE = {"title": "title", "description": "prompt", "tags": "labels", "priority": "priority"}


def list_tasks(session: Session, grant: KeyGrant, board_id: str, lane_id: str | None = None,
               include_archived: bool = False, short_id_prefix: str | None = None) -> list[Card]:
    """The board's tasks in lane order, then position within the lane."""
    board = require_board(session, grant, board_id)
    query = (select(Card).join(Column, Column.id == Card.column_id).where(Card.board_id == board.id)
             .order_by(Column.position, Card.position))
    if lane_id is not None:
        query = query.where(Card.column_id == get_lane(session, board, lane_id).id)
    if not include_archived:
        query = query.where(Card.archived.is_(False))
    if short_id_prefix:
        query = query.where(Card.short_id.startswith(short_id_prefix.lower(), autoescape=True))
    return list(session.scalars(query))


def create_task(session: Session, grant: KeyGrant, board_id: str, fields: dict[str, Any]) -> Card:
    """In the given lane, else the board's first lane; at `position`, else at the lane's end."""
    board = require_board(session, grant, board_id, "edit")
    lane_id = get_lane(session, board, fields["laneId"]).id if fields.get("laneId") else None
    card = cards.create_card(session, grant.actor, board.project_id, {
        "title": fields["title"],
        "prompt": fields.get("description"),
        "labels": fields.get("tags"),
        "priority": PRIORITY_NAMES[fields.get("priority") or 0],
        "boardId": board.id,
        "columnId": lane_id,
        "position": fields.get("position"),
    })
    if fields.get("archived"):
        cards.set_archived(session, grant.actor, card, True)
    return card


def get_task(session: Session, grant: KeyGrant, board_id: str, task_id: str, need: str = "read") -> Card:
    board = require_board(session, grant, board_id, need)
    return _task(session, board, task_id)


def last_turn_at(session: Session, card_id: str) -> datetime | None:
    return session.scalar(select(func.max(Turn.captured_at)).where(Turn.card_id == card_id))


def update_task(session: Session, grant: KeyGrant, board_id: str, task_id: str, fields: dict[str, Any]) -> Card:
    card = get_task(session, grant, board_id, task_id, "edit")
    changes = {UPDATABLE[name]: value for name, value in fields.items() if name in UPDATABLE}
    if "priority" in changes:
        changes["priority"] = PRIORITY_NAMES[changes["priority"]]
    cards.apply_changes(session, grant.actor, card, changes)
    if fields.get("archived") is not None:
        cards.set_archived(session, grant.actor, card, fields["archived"])
    return card


def move_task(session: Session, grant: KeyGrant, board_id: str, task_id: str, lane_id: str,
              position: int | None) -> Card:
    """To a lane of the same board: at `position`, else appended to the lane's end."""
    board = require_board(session, grant, board_id, "edit")
    card = _task(session, board, task_id)
    return cards.move_card(session, grant.actor, card, get_lane(session, board, lane_id).id, position)


def delete_task(session: Session, grant: KeyGrant, board_id: str, task_id: str) -> None:
    card = get_task(session, grant, board_id, task_id, "edit")
    cards.delete_card(session, grant.actor, card.project_id, card.id)


def _task(session: Session, board: Board, task_id: str) -> Card:
    card = session.get(Card, task_id)
    if card is None or card.board_id != board.id:
        raise NotFound.of("task", task_id)
    return card
