"""Columns: the stages of a board and their agent policy."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Column
from orchestrator import boards
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.cards import DeleteQuery
from web.schemas.columns import ColumnCreate, ColumnListQuery, ColumnUpdate
from web.schemas.common import ProjectColumnPath, ProjectPath, ReorderBody

bp = APIBlueprint("columns", __name__, url_prefix="/api/projects/<projectId>",
                  abp_tags=[Tag(name="Columns")], abp_security=[{"bearer": []}])

NULLABLE = ("credentialId", "engine", "model", "wipLimit", "budgetUsd", "timeoutSeconds")


def column_json(column: Column) -> dict[str, Any]:
    return {
        "id": column.id,
        "name": column.name,
        "columnType": column.column_type,
        "position": column.position,
        "boardId": column.board_id,
        "projectId": column.project_id,
        "prompt": column.prompt,
        "credentialId": column.credential_id,
        "engine": column.engine,
        "model": column.model,
        "planMode": column.plan_mode,
        "wipLimit": column.wip_limit,
        "budgetUsd": column.budget_usd,
        "timeoutSeconds": column.timeout_seconds,
        "requiredFields": column.required_fields,
        "createdAt": iso(column.created_at),
        "updatedAt": iso(column.updated_at),
    }


def _fields(body: ColumnCreate | ColumnUpdate, *skip: str) -> dict[str, Any]:
    """Set fields only; an explicit null clears the nullable ones and is ignored elsewhere."""
    return body.changes(nullable=NULLABLE, exclude=skip)


@bp.get("/columns")
def list_columns(path: ProjectPath, query: ColumnListQuery):  # type: ignore[no-untyped-def]
    found = boards.list_columns(db(), actor(), path.projectId, query.boardId)
    return ok([column_json(c) for c in found])


@bp.post("/columns")
def create_column(path: ProjectPath, body: ColumnCreate):  # type: ignore[no-untyped-def]
    column = boards.create_column(db(), actor(), path.projectId, body.boardId, _fields(body, "boardId"))
    return created(column_json(column))


@bp.patch("/columns/reorder")
def reorder_columns(path: ProjectPath, body: ReorderBody):  # type: ignore[no-untyped-def]
    ordered = boards.reorder_columns(db(), actor(), path.projectId, body.ids)
    return ok([column_json(c) for c in ordered])


@bp.patch("/columns/<columnId>")
def update_column(path: ProjectColumnPath, body: ColumnUpdate):  # type: ignore[no-untyped-def]
    column = boards.update_column(db(), actor(), path.projectId, path.columnId, _fields(body))
    return ok(column_json(column))


@bp.delete("/columns/<columnId>")
def delete_column(path: ProjectColumnPath):  # type: ignore[no-untyped-def]
    boards.delete_column(db(), actor(), path.projectId, path.columnId)
    return no_content()


@bp.post("/columns/<columnId>/clean-all")
def clean_column(path: ProjectColumnPath, query: DeleteQuery):  # type: ignore[no-untyped-def]
    """Delete every card in the column, as deleting each card would (`force` as there)."""
    boards.clean_column(db(), actor(), path.projectId, path.columnId, query.force)
    return no_content()
