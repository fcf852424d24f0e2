"""Cards, scoped to their project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import Row

from models import PRIORITY_NAMES, Card
from models.base import raw_iso
from orchestrator import card_git, card_views, cards, pipeline
from orchestrator.usage import EMPTY
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.cards import (
    AutoModeBody,
    CardCreate,
    CardListQuery,
    CardMove,
    CardUpdate,
    DeleteQuery,
    MergeBody,
    PipelineBody,
)
from web.schemas.common import ProjectCardPath, ProjectPath
from web.schemas.projects import CredentialRef

bp = APIBlueprint("cards", __name__, url_prefix="/api/projects/<projectId>", abp_tags=[Tag(name="Cards")],
                  abp_security=[{"bearer": []}])


# API names of the card attributes the board list shows.
SUMMARY_NAMES = {
    "id": "id", "short_id": "shortId", "project_id": "projectId", "board_id": "boardId",
    "column_id": "columnId", "title": "title", "labels": "labels", "position": "position",
    "priority": "priority", "due_date": "dueDate", "auto_mode": "autoMode", "archived": "archived",
    "deferred": "deferred", "assigned_user_id": "assignedUserId",
    "assigned_agent_id": "assignedAgentId", "pending_column_id": "awaitingApprovalColumnId",
    "updated_at": "updatedAt",
}


def card_summary_json(card: Any, active: bool, usage: dict[str, Any] | None) -> dict[str, Any]:
    """What the board list shows, for a Card; summaries_json does the same for list rows."""
    summary = {api: getattr(card, attr) for attr, api in SUMMARY_NAMES.items()}
    summary["dueDate"], summary["updatedAt"] = iso(card.due_date), iso(card.updated_at)
    return _finish_summary(summary, active, usage)


def summaries_json(rows: Sequence[Row[Any]], active: set[str], usage: dict[str, Any]) -> list[dict[str, Any]]:
    """The list's hot path: each row becomes a dict at C speed; labels and times arrive raw
    (cards.SUMMARY_COLUMNS) and go out without being decoded and encoded again."""
    if not rows:
        return []
    names = [SUMMARY_NAMES[field] for field in rows[0]._fields]
    summaries = []
    for row in rows:
        summary = dict(zip(names, row, strict=True))
        labels = summary["labels"]
        summary["labels"] = orjson.Fragment(labels) if isinstance(labels, str) else labels
        summary["dueDate"], summary["updatedAt"] = raw_iso(summary["dueDate"]), raw_iso(summary["updatedAt"])
        summaries.append(_finish_summary(summary, row[0] in active, usage.get(row[0])))
    return summaries


def _finish_summary(summary: dict[str, Any], active: bool, usage: dict[str, Any] | None) -> dict[str, Any]:
    summary["priority"] = PRIORITY_NAMES[summary["priority"]]
    summary["hasActiveAgent"] = active
    summary["usage"] = usage or EMPTY
    return summary


def card_json(card: Card, active: bool, usage: dict[str, Any] | None) -> dict[str, Any]:
    """The whole card: the summary plus the work order and its agent settings."""
    return {
        **card_summary_json(card, active, usage),
        "prompt": card.prompt,
        "credentialId": card.credential_id,
        "budgetUsd": card.budget_usd,
        "pipeline": card.pipeline,
        "branch": card.branch,
        "worktreePath": card.worktree_path,
        "completedAt": iso(card.completed_at),
        "createdAt": iso(card.created_at),
    }


def one_card_json(card: Card) -> dict[str, Any]:
    extras = cards.card_extras(db(), card.project_id, {card.id})
    unread = card.id in card_views.unread_card_ids(db(), actor(), card.project_id, {card.id})
    return {**card_json(card, card.id in extras["active"], extras["usage"].get(card.id)), "unread": unread}


@bp.get("/cards")
def list_cards(path: ProjectPath, query: CardListQuery):  # type: ignore[no-untyped-def]
    session = db()
    rows = cards.list_cards(session, actor(), path.projectId, query.boardId, query.columnId,
                            query.includeArchived)
    extras = cards.card_extras(session, path.projectId)
    active, usage = extras["active"], extras["usage"]
    summaries = summaries_json(rows, active, usage)
    unread = card_views.unread_card_ids(session, actor(), path.projectId)
    for summary in summaries:
        summary["unread"] = summary["id"] in unread
    return ok(summaries)


@bp.post("/cards")
def create_card(path: ProjectPath, body: CardCreate):  # type: ignore[no-untyped-def]
    card = cards.create_card(db(), actor(), path.projectId, body.model_dump(exclude_unset=True))
    return created(one_card_json(card))


@bp.get("/cards/<cardId>")
def get_card(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    return ok(one_card_json(cards.get_card(db(), actor(), path.projectId, path.cardId)))


@bp.patch("/cards/<cardId>")
def update_card(path: ProjectCardPath, body: CardUpdate):  # type: ignore[no-untyped-def]
    fields = body.changes(nullable=("prompt", "labels", "priority", "dueDate", "budgetUsd"))
    return ok(one_card_json(cards.update_card(db(), actor(), path.projectId, path.cardId, fields)))


@bp.delete("/cards/<cardId>")
def delete_card(path: ProjectCardPath, query: DeleteQuery):  # type: ignore[no-untyped-def]
    cards.delete_card(db(), actor(), path.projectId, path.cardId, query.force)
    return no_content()


@bp.post("/cards/<cardId>/view")
def view_card(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    """Mark the card viewed by the caller: it shows as unread again once it changes."""
    card_views.mark_card_viewed(db(), actor(), path.projectId, path.cardId)
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
    return ok({"steps": pipeline.pipeline_steps(db(), card), "custom": card.pipeline is not None})


@bp.put("/cards/<cardId>/pipeline")
def put_pipeline(path: ProjectCardPath, body: PipelineBody):  # type: ignore[no-untyped-def]
    steps = [step.model_dump() for step in body.steps]
    card = pipeline.set_pipeline(db(), actor(), path.projectId, path.cardId, steps)
    return ok({"steps": pipeline.pipeline_steps(db(), card), "custom": card.pipeline is not None})


@bp.post("/cards/<cardId>/merge")
def merge_card(path: ProjectCardPath, body: MergeBody):  # type: ignore[no-untyped-def]
    """Merge the card's branch into the base branch in the project's own checkout (a person's act)."""
    return ok(card_git.merge_card(db(), actor(), path.projectId, path.cardId, body.strategy))


@bp.get("/cards/<cardId>/diff")
def card_diff(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    card = cards.get_card(db(), actor(), path.projectId, path.cardId)
    return ok(cards.card_diff(db(), card))
