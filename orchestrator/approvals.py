"""The human gates of the pipeline: auto-advances that wait for a person, and the list of
everything waiting (plans and advances) across the projects a person can see.

An auto-mode card whose next transition requires approval does not move: it is marked with the
column it waits to enter (`card.pending_column_id`) until `approve_auto`, or until a person moves
it elsewhere (`cards.move_card` clears the mark).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from models import (
    AgentMessage,
    AgentSession,
    Card,
    CardHistory,
    Column,
    ColumnTransition,
    Project,
    iso,
    publish,
)
from orchestrator import history
from orchestrator.access import Actor, require_in_project, visible_projects
from orchestrator.cards import move_card
from orchestrator.errors import Conflict, InvalidInput
from orchestrator.notifications import notify

WAITING = "approval_waiting"  # the history action that marks the start of a wait


def requires_approval(session: Session, from_column_id: str, to_column_id: str) -> bool:
    return bool(session.scalar(select(exists().where(
        ColumnTransition.from_column_id == from_column_id, ColumnTransition.to_column_id == to_column_id,
        ColumnTransition.requires_approval.is_(True)))))


def advance(session: Session, actor: Actor, card: Card, column_id: str) -> None:
    """Auto mode's step: move the card on, or, where the transition needs approval, wait for it."""
    if not requires_approval(session, card.column_id, column_id):
        try:
            move_card(session, actor, card, column_id)
        except InvalidInput as refusal:  # the board's rules refused the step (checked before any write)
            history.record(session, card, actor, "advance_refused",
                           {"pendingColumnId": {"before": None, "after": column_id},
                            "refusal": {"before": None, "after": refusal.code}})
        return
    if card.pending_column_id == column_id:
        return
    card.pending_column_id = column_id
    history.record(session, card, actor, WAITING, {"pendingColumnId": {"before": None, "after": column_id}})
    publish(session, "approval.waiting", card.project_id, {
        "kind": "advance", "cardId": card.id, "fromColumnId": card.column_id, "toColumnId": column_id,
    }, card.id)
    notify(session, "approvalWaiting", card, "the card is waiting for your approval to advance",
           toColumnId=column_id)


def approve_auto(session: Session, actor: Actor, project_id: str, card_id: str) -> Card:
    """A person lets the waiting card advance: it moves (and its next stage starts) at once."""
    card = require_in_project(session, actor, Card, "card", project_id, card_id, "editor")
    target = card.pending_column_id
    if target is None:
        raise Conflict(f"card {card.id} is not waiting for approval to advance", code="nothing_to_approve")
    history.record(session, card, actor, "approved", {"columnId": {"before": card.column_id, "after": target}})
    return move_card(session, actor, card, target)


def list_approvals(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Plans and advances waiting for a person in the projects the actor sees, oldest first."""
    items = _waiting_plans(session, actor) + _waiting_advances(session, actor)
    items.sort(key=lambda item: item["since"] or "")
    return items


def _waiting_plans(session: Session, actor: Actor) -> list[dict[str, Any]]:
    submitted = (select(func.max(AgentMessage.created_at))
                 .where(AgentMessage.session_id == AgentSession.id, AgentMessage.kind == "plan")
                 .correlate(AgentSession).scalar_subquery())
    rows = session.execute(
        select(AgentSession, Card.title, Card.column_id, Project.name, submitted)
        .join(Card, Card.id == AgentSession.card_id)
        .join(Project, Project.id == AgentSession.project_id)
        .where(AgentSession.kind == "card", AgentSession.status == "awaiting_plan_approval", visible_projects(actor))
    ).tuples().all()
    return [
        _item("plan", row.project_id, project_name, row.card_id or "", title, row.column_id or column_id,
              since=submitted_at or row.updated_at, sessionId=row.id, plan=row.plan)
        for row, title, column_id, project_name, submitted_at in rows
    ]


def _waiting_advances(session: Session, actor: Actor) -> list[dict[str, Any]]:
    target = aliased(Column)
    marked = (select(func.max(CardHistory.created_at))
              .where(CardHistory.card_id == Card.id, CardHistory.action == WAITING)
              .correlate(Card).scalar_subquery())
    rows = session.execute(
        select(Card, Project.name, target.name, marked)
        .join(Project, Project.id == Card.project_id)
        .join(target, target.id == Card.pending_column_id)
        .where(Card.pending_column_id.is_not(None), Card.archived.is_(False), visible_projects(actor))
    ).tuples().all()
    return [
        _item("advance", card.project_id, project_name, card.id, card.title, card.column_id,
              since=marked_at or card.updated_at, toColumnId=card.pending_column_id, toColumnName=target_name)
        for card, project_name, target_name, marked_at in rows
    ]


def _item(kind: str, project_id: str, project_name: str, card_id: str, card_title: str, from_column_id: str,
          since: Any, **extra: Any) -> dict[str, Any]:
    """One shape for both kinds; the fields a kind lacks are null."""
    return {
        "kind": kind, "projectId": project_id, "projectName": project_name, "cardId": card_id,
        "cardTitle": card_title, "sessionId": None, "plan": None, "fromColumnId": from_column_id,
        "toColumnId": None, "toColumnName": None, **extra, "since": iso(since),
    }
