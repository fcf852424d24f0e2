"""Boards and their columns: creation from templates, changes, deletion and ordering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Board, Card, Column, Credential, publish
from orchestrator import cards, custom_fields, templates
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.credentials import require_usable_credential
from orchestrator.errors import Conflict, InvalidInput
from orchestrator.ordering import apply_order
from orchestrator.prompts import check_template

COLUMN_TYPES = ("backlog", "active", "done", "archive")
ENGINES = ("anthropic", "openai", "claude-code", "codex", "command")
# Column attributes a client may set, by their API names.
COLUMN_FIELDS = {
    "name": "name",
    "columnType": "column_type",
    "prompt": "prompt",
    "credentialId": "credential_id",
    "engine": "engine",
    "model": "model",
    "planMode": "plan_mode",
    "wipLimit": "wip_limit",
    "budgetUsd": "budget_usd",
    "timeoutSeconds": "timeout_seconds",
    "requiredFields": "required_fields",
}


def list_boards(session: Session, actor: Actor, project_id: str) -> list[Board]:
    require_project(session, actor, project_id)
    return list(
        session.scalars(
            select(Board).where(Board.project_id == project_id).order_by(Board.position, Board.id)
        )
    )


def create_board(
    session: Session, actor: Actor, project_id: str, name: str, template_id: str | None = None
) -> Board:
    project = require_project(session, actor, project_id, "editor")
    template = templates.get_template(session, template_id or templates.DEFAULT_TEMPLATE_ID)
    position = session.scalar(
        select(func.coalesce(func.max(Board.position) + 1, 0)).where(Board.project_id == project.id)
    )
    board = Board(project_id=project.id, name=name, position=position)
    session.add(board)
    session.flush()
    for index, spec in enumerate(template["columns"]):
        if spec.get("credentialId") and session.get(Credential, spec["credentialId"]) is None:
            # Deleting a credential detaches it from columns; a template that named it does the same.
            spec = {**spec, "credentialId": None}
        session.add(_column_from_spec(board, index, spec))
    session.flush()
    publish(session, "board.created", project.id, {"boardId": board.id, "name": board.name})
    return board


def _column_from_spec(board: Board, position: int, spec: dict[str, Any]) -> Column:
    column = Column(board_id=board.id, project_id=board.project_id, position=position)
    for api_name, attr in COLUMN_FIELDS.items():
        if api_name in spec:
            setattr(column, attr, spec[api_name])
    return column


def get_board(session: Session, actor: Actor, project_id: str, board_id: str, need: str = "viewer") -> Board:
    return require_in_project(session, actor, Board, "board", project_id, board_id, need)


def rename_board(session: Session, actor: Actor, project_id: str, board_id: str, name: str) -> Board:
    board = get_board(session, actor, project_id, board_id, "editor")
    board.name = name
    publish(session, "board.updated", project_id, {"boardId": board.id, "name": name})
    return board


def delete_board(session: Session, actor: Actor, project_id: str, board_id: str) -> None:
    board = get_board(session, actor, project_id, board_id, "editor")
    session.delete(board)
    publish(session, "board.deleted", project_id, {"boardId": board_id})


def reorder_boards(session: Session, actor: Actor, project_id: str, ids: list[str]) -> list[Board]:
    require_project(session, actor, project_id, "editor")
    boards = session.scalars(select(Board).where(Board.project_id == project_id)).all()
    ordered = apply_order(boards, ids, "board")
    publish(session, "board.updated", project_id, {"order": ids})
    return ordered  # type: ignore[return-value]


# Columns ---------------------------------------------------------------------------------------


def list_columns(
    session: Session, actor: Actor, project_id: str, board_id: str | None = None
) -> list[Column]:
    require_project(session, actor, project_id)
    query = select(Column).where(Column.project_id == project_id)
    if board_id is not None:
        query = query.where(Column.board_id == board_id)
    return list(session.scalars(query.order_by(Column.board_id, Column.position)))


def get_column(
    session: Session, actor: Actor, project_id: str, column_id: str, need: str = "viewer"
) -> Column:
    return require_in_project(session, actor, Column, "column", project_id, column_id, need)


def create_column(
    session: Session, actor: Actor, project_id: str, board_id: str, fields: dict[str, Any]
) -> Column:
    board = get_board(session, actor, project_id, board_id, "editor")
    _check_column_fields(session, actor, fields)
    if fields.get("requiredFields"):
        custom_fields.check_required_names(session, project_id, fields["requiredFields"])
    position = fields.pop("position", None)
    last = session.scalar(
        select(func.coalesce(func.max(Column.position) + 1, 0)).where(Column.board_id == board.id)
    )
    column = _column_from_spec(board, last, fields)
    session.add(column)
    session.flush()
    if position is not None and position < last:
        siblings = [c for c in _board_columns(session, board.id) if c.id != column.id]
        siblings.insert(position, column)
        apply_order(siblings, [c.id for c in siblings], "column")
    publish(session, "column.created", project_id, {"columnId": column.id, "boardId": board.id})
    return column


def update_column(
    session: Session, actor: Actor, project_id: str, column_id: str, fields: dict[str, Any]
) -> Column:
    column = get_column(session, actor, project_id, column_id, "editor")
    _check_column_fields(session, actor, fields)
    if fields.get("requiredFields"):
        custom_fields.check_required_names(session, project_id, fields["requiredFields"])
    for api_name, value in fields.items():
        if api_name in COLUMN_FIELDS:
            setattr(column, COLUMN_FIELDS[api_name], value)
    publish(session, "column.updated", project_id, {"columnId": column.id, "changed": sorted(fields)})
    return column


def delete_column(session: Session, actor: Actor, project_id: str, column_id: str) -> None:
    column = get_column(session, actor, project_id, column_id, "editor")
    count = session.scalar(select(func.count()).select_from(Card).where(Card.column_id == column_id))
    if count:
        raise Conflict(
            f"column {column_id} still holds {count} card(s); move or delete them first",
            code="column_not_empty",
        )
    session.delete(column)
    publish(session, "column.deleted", project_id, {"columnId": column_id, "boardId": column.board_id})


def clean_column(session: Session, actor: Actor, project_id: str, column_id: str, force: bool = False) -> int:
    """Delete every card of the column (archived ones too), each as a card delete would; returns
    how many. One card that may not go (an agent running, without `force`) stops them all."""
    get_column(session, actor, project_id, column_id, "editor")
    doomed = session.scalars(select(Card.id).where(Card.column_id == column_id).order_by(Card.position.desc())).all()
    for card_id in doomed:  # from the end, so no position needs closing up
        cards.delete_card(session, actor, project_id, card_id, force)
    return len(doomed)


def reorder_columns(session: Session, actor: Actor, project_id: str, ids: list[str]) -> list[Column]:
    require_project(session, actor, project_id, "editor")
    first = session.get(Column, ids[0]) if ids else None
    if first is None or first.project_id != project_id:
        raise InvalidInput("ids: must list the columns of one board of this project")
    ordered = apply_order(_board_columns(session, first.board_id), ids, "column of the board")
    publish(session, "column.updated", project_id, {"boardId": first.board_id, "order": ids})
    return ordered  # type: ignore[return-value]


def _board_columns(session: Session, board_id: str) -> list[Column]:
    return list(
        session.scalars(select(Column).where(Column.board_id == board_id).order_by(Column.position))
    )


def _check_column_fields(session: Session, actor: Actor, fields: dict[str, Any]) -> None:
    if fields.get("credentialId"):
        require_usable_credential(session, actor, fields["credentialId"])
    if fields.get("prompt"):
        check_template(fields["prompt"])
    if "columnType" in fields and fields["columnType"] not in COLUMN_TYPES:
        raise InvalidInput(f"columnType: must be one of {', '.join(COLUMN_TYPES)}")
