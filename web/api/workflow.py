"""The board's process: transitions per board, custom fields and card types per project."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import CardType, ColumnTransition, CustomField
from orchestrator import card_types, custom_fields, transitions
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.common import ProjectBoardPath, ProjectPath
from web.schemas.workflow import (
    CardTypeCreate,
    FieldCreate,
    FieldPath,
    FieldUpdate,
    TransitionsBody,
)

bp = APIBlueprint("workflow", __name__, url_prefix="/api/projects/<projectId>",
                  abp_tags=[Tag(name="Workflow")], abp_security=[{"bearer": []}])


def transition_json(rule: ColumnTransition) -> dict[str, Any]:
    return {"id": rule.id, "boardId": rule.board_id, "fromColumnId": rule.from_column_id,
            "toColumnId": rule.to_column_id, "requiresApproval": rule.requires_approval}


def field_json(field: CustomField) -> dict[str, Any]:
    return {"id": field.id, "projectId": field.project_id, "name": field.name, "type": field.type,
            "options": field.options or [], "validation": field.validation,
            "createdAt": iso(field.created_at), "updatedAt": iso(field.updated_at)}


def card_type_json(card_type: CardType) -> dict[str, Any]:
    return {"id": card_type.id, "projectId": card_type.project_id, "name": card_type.name,
            "builtin": card_type.builtin}


@bp.get("/boards/<boardId>/transitions")
def list_transitions(path: ProjectBoardPath):  # type: ignore[no-untyped-def]
    found = transitions.list_transitions(db(), actor(), path.projectId, path.boardId)
    return ok([transition_json(t) for t in found])


@bp.put("/boards/<boardId>/transitions")
def replace_transitions(path: ProjectBoardPath, body: TransitionsBody):  # type: ignore[no-untyped-def]
    """Replace the board's whole set; with none, every move is allowed."""
    items = [item.model_dump() for item in body.transitions]
    found = transitions.replace_transitions(db(), actor(), path.projectId, path.boardId, items)
    return ok([transition_json(t) for t in found])


@bp.get("/fields")
def list_fields(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok([field_json(f) for f in custom_fields.list_fields(db(), actor(), path.projectId)])


@bp.post("/fields")
def create_field(path: ProjectPath, body: FieldCreate):  # type: ignore[no-untyped-def]
    field = custom_fields.create_field(db(), actor(), path.projectId, body.model_dump())
    return created(field_json(field))


@bp.patch("/fields/<fieldId>")
def update_field(path: FieldPath, body: FieldUpdate):  # type: ignore[no-untyped-def]
    changes = body.changes(nullable=("validation", "options"))
    return ok(field_json(custom_fields.update_field(db(), actor(), path.projectId, path.fieldId, changes)))


@bp.delete("/fields/<fieldId>")
def delete_field(path: FieldPath):  # type: ignore[no-untyped-def]
    custom_fields.delete_field(db(), actor(), path.projectId, path.fieldId)
    return no_content()


@bp.get("/card-types")
def list_card_types(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok([card_type_json(t) for t in card_types.list_card_types(db(), actor(), path.projectId)])


@bp.post("/card-types")
def create_card_type(path: ProjectPath, body: CardTypeCreate):  # type: ignore[no-untyped-def]
    return created(card_type_json(card_types.create_card_type(db(), actor(), path.projectId, body.name)))
