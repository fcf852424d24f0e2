"""Tasks: cards on the workspace's team board. A task's status is its column (so a move on the
board shows here and the reverse); its seed 004 fields beyond the card's own live in `Card.extra`.
Every status change goes through `orchestrator.cards.move_card`."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, Column, iso
from orchestrator import cards
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.team.agents import ensure_agent
from orchestrator.team.workspaces import STATUSES, Team, status_columns, team_board

PRIORITIES = ("p0", "p1", "p2", "p3")
STORED_FOR = {"p0": "urgent", "p1": "high", "p2": "medium", "p3": "low"}
STORED_FOR_INDEX = {"urgent": 4, "high": 3, "medium": 2, "low": 1}
SHOWN_FOR = {4: "p0", 3: "p1", 2: "p2", 1: "p3", 0: "p3"}
BACKLOG_SPRINT = -1
# Seed 004 fields kept in Card.extra, with their empty values.
EXTRA_FIELDS: dict[str, Any] = {
    "type": "feature", "sprint": BACKLOG_SPRINT, "story_id": None, "story_points": None, "blocks": [],
    "blocked_by": [], "context_notes": None, "target_repo": None, "parent_task": None, "branch": None,
    "commits": [], "review_comment": None, "review_report": None, "review_verdict": None,
    "category": None, "steps": [], "acceptance_criteria": [],
}
LIST_FIELDS = ("blocks", "blocked_by", "steps", "acceptance_criteria")


def priority_name(value: str | None) -> str:
    if value is None:
        return "high"
    if value not in PRIORITIES:
        raise InvalidInput(f"priority: must be one of {', '.join(PRIORITIES)}")
    return STORED_FOR[value]


def infer_type(text: str) -> str:
    lowered = text.lower()
    if re.search(r"\b(fix|bug|broken|crash|error)", lowered):
        return "bug"
    if re.search(r"\b(test|spec)", lowered):
        return "test"
    if re.search(r"\b(refactor|chore|docs?|cleanup|upgrade)", lowered):
        return "chore"
    return "feature"


# Reading ---------------------------------------------------------------------------------------


def list_tasks(session: Session, team: Team, status: str | None = None, sprint: int | None = None,
               owner: str | None = None) -> list[Card]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    board = team_board(session, team.id)
    query = select(Card).where(Card.board_id == board.id, Card.archived.is_(False))
    if status is not None:
        query = query.where(Card.column_id == status_columns(session, team.id)[status].id)
    if owner is not None:
        query = query.where(Card.assigned_agent_id == owner)
    found = session.scalars(query.order_by(Card.created_at, Card.id)).all()
    return [card for card in found if sprint is None or _sprint(card) == sprint]


def get_task(session: Session, team: Team, task_id: str) -> Card:
    card = session.get(Card, task_id)
    if card is None or card.project_id != team.id or card.archived or card.board_id != team_board(session, team.id).id:
        raise NotFound.of("task", task_id)
    return card


def status_of(session: Session, card: Card) -> str:
    column = session.get(Column, card.column_id)
    return column.key if column is not None and column.key else "todo"


def task_json(session: Session, card: Card, keys: dict[str, str] | None = None) -> dict[str, Any]:
    """`keys` (column id → status) saves a query per task in lists."""
    extra = {**EXTRA_FIELDS, **(card.extra or {})}
    status = keys.get(card.column_id, "todo") if keys is not None else status_of(session, card)
    return {
        "id": card.id, "workspace_id": card.project_id, "title": card.title, "description": card.prompt,
        "status": status, "priority": SHOWN_FOR[card.priority], "owner": card.assigned_agent_id,
        "labels": card.labels, **{name: extra[name] for name in EXTRA_FIELDS},
        "created_at": iso(card.created_at), "updated_at": iso(card.updated_at),
        "completed_at": iso(card.completed_at),
    }


def tasks_json(session: Session, team: Team, found: list[Card]) -> list[dict[str, Any]]:
    keys = {column.id: key for key, column in status_columns(session, team.id).items()}
    return [task_json(session, card, keys) for card in found]


# Changing --------------------------------------------------------------------------------------


def create_task(session: Session, team: Team, fields: dict[str, Any]) -> Card:
    """Made in todo with its owner set, then moved to its status: entering in_progress decides
    whether a session starts, and that depends on the owner."""
    title = (fields.get("title") or "").strip()
    if not title:
        raise InvalidInput("title: required")
    status = _status(fields.get("status") or "todo")
    columns = status_columns(session, team.id)
    card = cards.create_card(session, team.actor, team.id, {
        "title": title, "prompt": fields.get("description") or "", "labels": _labels(fields.get("labels")),
        "priority": priority_name(fields.get("priority")), "columnId": columns["todo"].id,
    })
    owner = fields.get("owner") or "builder"
    ensure_agent(session, team.id, owner)
    card.assigned_agent_id = owner
    kind = fields.get("type") or infer_type(f"{title} {fields.get('description') or ''}")
    card.extra = {**_extra_values(fields), "type": kind, "sprint": _sprint_value(fields.get("sprint"))}
    if status != "todo":
        cards.move_card(session, team.actor, card, columns[status].id)
    return card


def update_task(session: Session, team: Team, task_id: str, fields: dict[str, Any]) -> Card:
    card = get_task(session, team, task_id)
    changes = {name: fields[name] for name in ("title",) if fields.get(name) is not None}
    if fields.get("description") is not None:
        changes["prompt"] = fields["description"]
    if fields.get("priority") is not None:
        changes["priority"] = priority_name(fields["priority"])
    if fields.get("labels") is not None:
        changes["labels"] = _labels(fields["labels"])
    cards.apply_changes(session, team.actor, card, changes)
    if fields.get("owner"):
        ensure_agent(session, team.id, fields["owner"])
        card.assigned_agent_id = fields["owner"]
    extra = _extra_values(fields)
    if "sprint" in fields and fields["sprint"] is not None:
        extra["sprint"] = _sprint_value(fields["sprint"])
    if extra:
        card.extra = {**(card.extra or {}), **extra}
    if fields.get("status"):
        set_status(session, team, card, _status(fields["status"]))
    return card


def set_status(session: Session, team: Team, card: Card, status: str) -> None:
    column = status_columns(session, team.id)[status]
    if card.column_id != column.id:
        cards.move_card(session, team.actor, card, column.id)


def delete_task(session: Session, team: Team, task_id: str) -> None:
    """Soft delete: the card is archived (its session stops) and hidden from every list."""
    card = get_task(session, team, task_id)
    card.extra = {**(card.extra or {}), "deleted": True}
    cards.set_archived(session, team.actor, card, True)


def set_extra(card: Card, **values: Any) -> None:
    card.extra = {**(card.extra or {}), **values}


def _extra_values(fields: dict[str, Any]) -> dict[str, Any]:
    values = {name: fields[name] for name in EXTRA_FIELDS if name in fields and fields[name] is not None
              and name not in ("sprint", "commits", "type")}
    for name in LIST_FIELDS:
        if name in values and not isinstance(values[name], list):
            raise InvalidInput(f"{name}: must be a list")
    if fields.get("type") is not None:
        values["type"] = fields["type"]
    if fields.get("commits") is not None:
        values["commits"] = parse_commits(fields["commits"])
    return values


def parse_commits(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(item).strip() for item in raw if str(item).strip()]
    return [part.strip() for part in str(raw).split(",") if part.strip()]


def _labels(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip().startswith("[") else [p.strip() for p in raw.split(",") if p.strip()]
        except ValueError:
            raise InvalidInput("labels: must be a list of strings") from None
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise InvalidInput("labels: must be a list of strings")
    return raw


def _status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    return value


def _sprint_value(value: Any) -> int:
    if value is None:
        return BACKLOG_SPRINT
    if isinstance(value, bool) or not isinstance(value, int) or value < BACKLOG_SPRINT:
        raise InvalidInput("sprint: must be a sprint number, or -1 for the backlog")
    return value


def _sprint(card: Card) -> int:
    value = (card.extra or {}).get("sprint")
    return value if isinstance(value, int) else BACKLOG_SPRINT
