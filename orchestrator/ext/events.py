"""Outbox events as seed 000's webhooks send them: the board they concern, and `data` in the
dialect's shapes (a task for anything about a card, a lane for a column, a board for a board).

Rows may have changed or gone since the event; what the event itself says wins over the row
(a move's `laneId` is the lane it entered then), and a deleted row leaves only what the event
recorded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Board, Card, Column, Event
from orchestrator.ext.shapes import FIELD_NAMES, board_json, lane_json, task_json

# Event data keys in seed 000's words; `cardId` names the task, which is `data` itself.
RENAMED = {"columnId": "laneId", "fromColumnId": "fromLaneId", "toColumnId": "laneId"}
DROPPED = {"cardId"}


def event_board_id(session: Session, event: Event) -> str | None:
    """The board an event concerns, for key scoping; None for project-wide events."""
    data = event.data or {}
    if data.get("boardId"):
        return str(data["boardId"])
    card = session.get(Card, event.card_id) if event.card_id else None
    if card is not None:
        return card.board_id
    column_id = data.get("columnId") or data.get("toColumnId")
    column = session.get(Column, column_id) if column_id else None
    return column.board_id if column is not None else None


def event_data(session: Session, event: Event, board_id: str | None) -> dict[str, Any]:
    extras = _renamed(event.data or {})
    if event.card_id or event.type.startswith("card."):
        card = session.get(Card, event.card_id) if event.card_id else None
        base = task_json(card) if card is not None else {"id": event.card_id}
        return {**base, "boardId": board_id, **extras}
    if event.type.startswith("column."):
        column = session.get(Column, (event.data or {}).get("columnId", ""))
        base = lane_json(column) if column is not None else {}
        return {**base, **({"id": extras.pop("laneId")} if "laneId" in extras else {}), **extras}
    if event.type.startswith("board."):
        board = session.get(Board, board_id) if board_id else None
        extras.pop("boardId", None)
        return {**(board_json(board) if board is not None else {"id": board_id}), **extras}
    return extras


def _renamed(data: dict[str, Any]) -> dict[str, Any]:
    renamed = {RENAMED.get(key, key): value for key, value in data.items() if key not in DROPPED}
    if isinstance(renamed.get("changed"), list):
        renamed["changed"] = [FIELD_NAMES.get(name, name) for name in renamed["changed"]]
    return renamed
