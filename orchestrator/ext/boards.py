"""Seed 000's boards and lanes: Switchyard boards and columns, through a key's board scope.

Every change goes through orchestrator.boards (the same rules, history and events as the native
API); this module only decides what the key may touch and maps the dialect's names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Board, Card, Column
from orchestrator import boards
from orchestrator.api_keys import KeyGrant, accessible_boards, grant_board, require_board
from orchestrator.errors import Forbidden, InvalidInput, NotFound


def list_boards(session: Session, grant: KeyGrant) -> list[tuple[Board, str]]:
    return accessible_boards(session, grant)


def create_board(session: Session, grant: KeyGrant, name: str, project_id: str | None) -> Board:
    """A board in the given project, else the key's default project; the key gets edit on it."""
    if not grant.all_boards and "edit" not in grant.boards.values():
        raise Forbidden("the API key is read-only; creating a board needs a key with edit permission")
    project_id = project_id or grant.default_project_id
    if not project_id:
        raise InvalidInput("projectId: required, since the API key has no default project")
    board = boards.create_board(session, grant.actor, project_id, name)
    grant_board(session, grant, board.id, "edit")
    return board


def board_lanes(session: Session, grant: KeyGrant, board_id: str) -> tuple[Board, list[tuple[Column, int]]]:
    """The board and its lanes in order, each with its number of tasks (archived ones aside)."""
    board = require_board(session, grant, board_id)
    counts = dict(session.execute(
        select(Card.column_id, func.count()).where(Card.board_id == board.id, Card.archived.is_(False))
        .group_by(Card.column_id)).tuples().all())
    return board, [(lane, counts.get(lane.id, 0)) for lane in _lanes(session, board.id)]


def delete_board(session: Session, grant: KeyGrant, board_id: str) -> None:
    board = require_board(session, grant, board_id, "edit")
    boards.delete_board(session, grant.actor, board.project_id, board.id)


def list_lanes(session: Session, grant: KeyGrant, board_id: str) -> list[Column]:
    return _lanes(session, require_board(session, grant, board_id).id)


def create_lane(session: Session, grant: KeyGrant, board_id: str, fields: dict[str, Any]) -> Column:
    """A backlog lane unless `type` says otherwise (DESIGN.md, "Seed 000 and 003 on boards")."""
    board = require_board(session, grant, board_id, "edit")
    spec = {"name": fields["name"], "columnType": fields.get("type") or "backlog"}
    if fields.get("position") is not None:
        spec["position"] = fields["position"]
    return boards.create_column(session, grant.actor, board.project_id, board.id, spec)


def update_lane(session: Session, grant: KeyGrant, board_id: str, lane_id: str, fields: dict[str, Any]) -> Column:
    """Rename, retype and/or move a lane to `position` (the others keep their order)."""
    board = require_board(session, grant, board_id, "edit")
    lane = _lane(session, board, lane_id)
    changes = {k: v for k, v in (("name", fields.get("name")), ("columnType", fields.get("type"))) if v}
    if changes:
        boards.update_column(session, grant.actor, board.project_id, lane.id, changes)
    if fields.get("position") is not None:
        others = [c.id for c in _lanes(session, board.id) if c.id != lane.id]
        others.insert(min(fields["position"], len(others)), lane.id)
        boards.reorder_columns(session, grant.actor, board.project_id, others)
    return lane


def delete_lane(session: Session, grant: KeyGrant, board_id: str, lane_id: str) -> None:
    """Refused (409 column_not_empty) while the lane holds tasks: nothing is deleted by surprise."""
    board = require_board(session, grant, board_id, "edit")
    boards.delete_column(session, grant.actor, board.project_id, _lane(session, board, lane_id).id)


def get_lane(session: Session, board: Board, lane_id: str) -> Column:
    return _lane(session, board, lane_id)


def _lane(session: Session, board: Board, lane_id: str) -> Column:
    lane = session.get(Column, lane_id)
    if lane is None or lane.board_id != board.id:
        raise NotFound.of("lane", lane_id)
    return lane


def _lanes(session: Session, board_id: str) -> list[Column]:
    return list(session.scalars(select(Column).where(Column.board_id == board_id).order_by(Column.position)))
