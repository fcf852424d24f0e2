"""Cards, scoped to their project."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import PRIORITY_NAMES, Card
from orchestrator import cards
from orchestrator.usage import EMPTY
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.cards import AutoModeBody, CardCreate, CardListQuery, CardMove, CardUpdate, DeleteQuery, PipelineBody
from web.schemas.common import ProjectCardPath, ProjectPath
from web.schemas.projects import CredentialRef

bp = APIBlueprint("cards", __name__, url_prefix="/api/projects/<projectId>", abp_tags=[Tag(name="Cards")],
                  abp_security=[{"bearer": []}])


def card_json(card: Any, active: bool, usage: dict[str, Any] | None) -> dict[str, Any]:
    """A Card, or a light row with the same attribute names (from cards.list_cards)."""
    return {
        "id": card.id,
        "shortId": card.short_id,
        "projectId": card.project_id,
        "boardId": card.board_id,
        "columnId": card.column_id,
        "title": card.title,
        "prompt": card.prompt,
        "labels": card.labels,
        "position": card.position,
        "priority": PRIORITY_NAMES[card.priority],
        "dueDate": iso(card.due_date),
        "autoMode": card.auto_mode,
        "credentialId": card.credential_id,
        "budgetUsd": card.budget_usd,
        "archived": card.archived,
        "deferred": card.deferred,
        "assignedUserId": card.assigned_user_id,
        "assignedAgentId": card.assigned_agent_id,
        "awaitingApprovalColumnId": card.pending_column_id,
        "branch": card.branch,
        "worktreePath": card.worktree_path,
        "hasActiveAgent": active,
        "usage": usage or EMPTY,
        "completedAt": iso(card.completed_at),
        "createdAt": iso(card.created_at),
        "updatedAt": iso(card.updated_at),
    }


def one_card_json(card: Card) -> dict[str, Any]:
    extras = cards.card_extras(db(), card.project_id, {card.id})
    return card_json(card, card.id in extras["active"], extras["usage"].get(card.id))


@bp.get("/cards")
def list_cards(path: ProjectPath, query: CardListQuery):  # type: ignore[no-untyped-def]
    session = db()
    rows = cards.list_cards(session, actor(), path.projectId, query.boardId, query.columnId,
                            query.includeArchived)
    extras = cards.card_extras(session, path.projectId)
    active, usage = extras["active"], extras["usage"]
    return ok([card_json(row, row.id in active, usage.get(row.id)) for row in rows])


@bp.post("/cards")
def create_card(path: ProjectPath, body: CardCreate):  # type: ignore[no-untyped-def]
    card = cards.create_card(db(), actor(), path.projectId, body.model_dump(exclude_unset=True))
    return created(one_card_json(card))


@bp.get("/cards/<cardId>")
def get_card(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    return ok(one_card_json(cards.get_card(db(), actor(), path.projectId, path.cardId)))


@bp.patch("/cards/<cardId>")
def update_card(path: ProjectCardPath, body: CardUpdate):  # type: ignore[no-untyped-def]
    fields = body.model_dump(exclude_unset=True)
    if fields.get("title", "") is None:
        fields.pop("title")
    return ok(one_card_json(cards.update_card(db(), actor(), path.projectId, path.cardId, fields)))


@bp.delete("/cards/<cardId>")
def delete_card(path: ProjectCardPath, query: DeleteQuery):  # type: ignore[no-untyped-def]
    cards.delete_card(db(), actor(), path.projectId, path.cardId, query.force)
    return no_content()


@bp.patch("/cards/<cardId>/move")
def move_card(path: ProjectCardPath, body: CardMove):  # type: ignore[no-untyped-def]
    card = cards.move_card_by_id(db(), actor(), path.projectId, path.cardId, body.columnId, body.position)
    return ok(one_card_json(card))


@bp.patch("/cards/<cardId>/auto-mode")
def set_auto_mode(path: ProjectCardPath, body: AutoModeBody):  # type: ignore[no-untyped-def]
    card = cards.update_card(db(), actor(), path.projectId, path.cardId, {"autoMode": body.enabled})
    return ok(one_card_json(card))


@bp.post("/cards/<cardId>/complete")
def complete_card(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    cards.complete_card(db(), actor(), path.projectId, path.cardId)
    return no_content()


@bp.post("/cards/<cardId>/activate")
def activate_card(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    cards.activate_card(db(), actor(), path.projectId, path.cardId)
    return no_content()


@bp.put("/cards/<cardId>/credential")
def set_card_credential(path: ProjectCardPath, body: CredentialRef):  # type: ignore[no-untyped-def]
    card = cards.set_card_credential(db(), actor(), path.projectId, path.cardId, body.credentialId)
    return ok(one_card_json(card))


@bp.get("/cards/<cardId>/pipeline")
def get_pipeline(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    card = cards.get_card(db(), actor(), path.projectId, path.cardId)
    return ok({"steps": cards.pipeline_steps(db(), card), "custom": card.pipeline is not None})


@bp.put("/cards/<cardId>/pipeline")
def put_pipeline(path: ProjectCardPath, body: PipelineBody):  # type: ignore[no-untyped-def]
    steps = [step.model_dump() for step in body.steps]
    card = cards.set_pipeline(db(), actor(), path.projectId, path.cardId, steps)
    return ok({"steps": cards.pipeline_steps(db(), card), "custom": card.pipeline is not None})


@bp.get("/cards/<cardId>/diff")
def card_diff(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    card = cards.get_card(db(), actor(), path.projectId, path.cardId)
    return ok(cards.card_diff(card))
