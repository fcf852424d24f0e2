"""The review gate: a task in review is approved (done, its children unblocked), rejected (back to
in_progress with the reason, as a comment its agent reads at its next session), or answered with
a `Fix: …` sub-task."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, utcnow
from orchestrator.card_notes import add_comment
from orchestrator.errors import Conflict, InvalidInput
from orchestrator.team import failures, tasks
from orchestrator.team.workspaces import Team, team_board


def approve(session: Session, team: Team, task_id: str, comment: str | None = None) -> dict[str, Any]:
    card = _in_review(session, team, task_id)
    tasks.set_extra(card, review_verdict="approved", **({"review_comment": comment} if comment else {}))
    tasks.set_status(session, team, card, "done")
    unblocked = unblock_children(session, team, card)
    return {"ok": True, "status": "done", "unblocked_children": [{"id": c.id, "title": c.title} for c in unblocked]}


def reject(session: Session, team: Team, task_id: str, reason: str) -> Card:
    if not reason or not reason.strip():
        raise InvalidInput("reason: required")
    card = _in_review(session, team, task_id)
    tasks.set_extra(card, review_verdict="rejected", review_comment=reason)
    add_comment(session, team.actor, card, f"Review rejected: {reason}", author_name=_who(team))
    failures.record_rejection(session, card, reason)
    tasks.set_status(session, team, card, "in_progress")
    return card


def review_action(session: Session, team: Team, task_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    action = fields.get("action")
    if action == "approve":
        return approve(session, team, task_id, fields.get("comment"))
    if action != "fix":
        raise InvalidInput("action: must be approve or fix")
    card = _in_review(session, team, task_id)
    extra = card.extra or {}
    description = fields.get("fix_description") or fields.get("comment") or ""
    fix = tasks.create_task(session, team, {
        "title": f"Fix: {card.title}", "description": description, "owner": card.assigned_agent_id,
        "priority": tasks.SHOWN_FOR[card.priority], "sprint": extra.get("sprint"), "parent_task": card.id,
        "type": "bug", "labels": list(card.labels or []),
    })
    tasks.set_extra(card, review_verdict="fix_requested", review_comment=fields.get("comment") or description)
    return {"ok": True, "status": "review", "fix_task": {"id": fix.id, "title": fix.title}}


def review_report(session: Session, team: Team, task_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An agent's account of its work; a task still in_progress moves to review with it."""
    if not (fields.get("summary") or "").strip():
        raise InvalidInput("summary: required")
    card = tasks.get_task(session, team, task_id)
    submit_report(session, team, card, fields)
    return {"ok": True}


def submit_report(session: Session, team: Team, card: Card, fields: dict[str, Any]) -> None:
    report = {name: fields.get(name) for name in ("summary", "changes", "test_results", "commits", "notes")}
    report["submitted_at"] = utcnow().isoformat()
    commits = tasks.parse_commits(fields.get("commits") or "")
    known = list((card.extra or {}).get("commits") or [])
    tasks.set_extra(card, review_report=report, review_comment=fields["summary"],
                    commits=known + [c for c in commits if c not in known])
    if tasks.status_of(session, card) == "in_progress":
        tasks.set_status(session, team, card, "review")


def unblock_children(session: Session, team: Team, card: Card) -> list[Card]:
    """Tasks this one blocked whose blockers are now all done; blocked ones go back to todo."""
    board = team_board(session, team.id)
    others = session.scalars(select(Card).where(Card.board_id == board.id, Card.archived.is_(False),
                                                Card.id != card.id)).all()
    blocks = set((card.extra or {}).get("blocks") or [])
    children = [c for c in others if c.id in blocks or card.id in ((c.extra or {}).get("blocked_by") or [])]
    done = {c.id for c in others if tasks.status_of(session, c) == "done"} | {card.id}
    freed = [c for c in children if set((c.extra or {}).get("blocked_by") or []) <= done]
    for child in freed:
        if tasks.status_of(session, child) == "blocked":
            tasks.set_status(session, team, child, "todo")
    return freed


def _in_review(session: Session, team: Team, task_id: str) -> Card:
    card = tasks.get_task(session, team, task_id)
    status = tasks.status_of(session, card)
    if status != "review":
        raise Conflict(f"task {task_id} is {status}, not in review", code="invalid_status")
    return card


def _who(team: Team) -> str:
    return team.agent_name or team.actor.name or "reviewer"
