"""Boards of a project."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Board
from orchestrator import boards
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.common import ProjectBoardPath, ProjectPath, ReorderBody
from web.schemas.projects import BoardCreate, BoardUpdate

bp = APIBlueprint("boards", __name__, url_prefix="/api/projects/<projectId>", abp_tags=[Tag(name="Boards")],
                  abp_security=[{"bearer": []}])


def board_json(board: Board) -> dict[str, Any]:
    return {
        "id": board.id,
        "name": board.name,
        "projectId": board.project_id,
        "position": board.position,
        "createdAt": iso(board.created_at),
        "updatedAt": iso(board.updated_at),
    }


@bp.get("/boards")
def list_boards(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok([board_json(b) for b in boards.list_boards(db(), actor(), path.projectId)])


@bp.post("/boards")
def create_board(path: ProjectPath, body: BoardCreate):  # type: ignore[no-untyped-def]
    board = boards.create_board(db(), actor(), path.projectId, body.name, body.templateId)
    return created(board_json(board))


@bp.patch("/boards/reorder")
def reorder_boards(path: ProjectPath, body: ReorderBody):  # type: ignore[no-untyped-def]
    ordered = boards.reorder_boards(db(), actor(), path.projectId, body.ids)
    return ok([board_json(b) for b in ordered])


@bp.patch("/boards/<boardId>")
def update_board(path: ProjectBoardPath, body: BoardUpdate):  # type: ignore[no-untyped-def]
    return ok(board_json(boards.rename_board(db(), actor(), path.projectId, path.boardId, body.name)))


@bp.delete("/boards/<boardId>")
def delete_board(path: ProjectBoardPath):  # type: ignore[no-untyped-def]
    boards.delete_board(db(), actor(), path.projectId, path.boardId)
    return no_content()
