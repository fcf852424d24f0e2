"""Sprints of a workspace: numbered, with the documented phase flow only
(planning → active → review → retrospective → completed, and review → active to reopen),
and their retrospective comments. A task's sprint is its number in `Card.extra`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import TeamRetroComment, TeamSprint, iso, utcnow
from orchestrator.errors import Conflict, InvalidInput, NotFound
from orchestrator.team import agents, tasks
from orchestrator.team.workspaces import Team, require_writer

STATUSES = ("planning", "active", "review", "retrospective", "completed")
TRANSITIONS = {("planning", "active"), ("active", "review"), ("review", "retrospective"),
               ("retrospective", "completed"), ("review", "active")}
OPEN = ("planning", "active", "review", "retrospective")


def is_allowed(current: str, target: str) -> bool:
    """The phase flow as a pure rule: staying put is no transition and always allowed."""
    return current == target or (current, target) in TRANSITIONS


def sprint_json(row: TeamSprint) -> dict[str, Any]:
    return {
        "id": row.id, "workspace_id": row.project_id, "number": row.number, "status": row.status,
        "goal": row.goal, "deadline": row.deadline, "retro_summary": row.retro_summary,
        "started_at": iso(row.started_at), "completed_at": iso(row.completed_at),
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
    }


def list_sprints(session: Session, team: Team) -> list[TeamSprint]:
    return list(session.scalars(select(TeamSprint).where(TeamSprint.project_id == team.id)
                                .order_by(TeamSprint.number)))


def get_sprint(session: Session, team: Team, number: int) -> TeamSprint:
    row = session.scalar(select(TeamSprint).where(TeamSprint.project_id == team.id, TeamSprint.number == number))
    if row is None:
        raise NotFound.of("sprint", str(number))
    return row


def current_sprint(session: Session, team: Team) -> TeamSprint | None:
    """The active sprint (the newest, should several be)."""
    return session.scalar(select(TeamSprint).where(TeamSprint.project_id == team.id, TeamSprint.status == "active")
                          .order_by(TeamSprint.number.desc()).limit(1))


def require_current(session: Session, team: Team) -> TeamSprint:
    row = current_sprint(session, team)
    if row is None:
        raise NotFound("no active sprint: create one with POST /api/v1/sprints", code="no_active_sprint")
    return row


def create_sprint(session: Session, team: Team, fields: dict[str, Any]) -> TeamSprint:
    require_writer(session, team)
    number = fields.get("number")
    if number is None:
        last = session.scalar(select(func.max(TeamSprint.number)).where(TeamSprint.project_id == team.id))
        number = 0 if last is None else last + 1
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise InvalidInput("number: must be a whole number ≥ 0")
    status = fields.get("status") or "active"
    if status not in ("planning", "active"):
        raise InvalidInput("status: a new sprint is planning or active")
    if session.scalar(select(TeamSprint.id).where(TeamSprint.project_id == team.id, TeamSprint.number == number)):
        raise Conflict(f"sprint {number} already exists", code="sprint_exists")
    row = TeamSprint(project_id=team.id, number=number, status=status, goal=fields.get("goal"),
                     deadline=fields.get("deadline"), started_at=utcnow() if status == "active" else None)
    session.add(row)
    session.flush()
    return row


def update_sprint(session: Session, team: Team, number: int, fields: dict[str, Any]) -> TeamSprint:
    require_writer(session, team)
    row = get_sprint(session, team, number)
    target = fields.get("status")
    if target is not None:
        if target not in STATUSES:
            raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
        if not is_allowed(row.status, target):
            raise InvalidInput(f"sprint {number} cannot go from {row.status} to {target}",
                               code="transition_not_allowed")
        _enter(row, target)
    for name in ("goal", "deadline", "retro_summary"):
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    return row


def start_current(session: Session, team: Team) -> dict[str, Any]:
    """The CLI's start: the open sprint (active, else the newest in planning) becomes active, and
    the `local` agents owning its unfinished tasks are marked starting; `byok` agents are skipped,
    since Switchyard runs them itself."""
    require_writer(session, team)
    row = current_sprint(session, team) or session.scalar(
        select(TeamSprint).where(TeamSprint.project_id == team.id, TeamSprint.status == "planning")
        .order_by(TeamSprint.number.desc()).limit(1))
    if row is None:
        raise NotFound("no sprint to start: create one with POST /api/v1/sprints", code="no_active_sprint")
    if row.status != "active":
        _enter(row, "active")
    found = tasks.list_tasks(session, team, sprint=row.number)
    owners = sorted({c.assigned_agent_id for c in found if c.assigned_agent_id
                     and tasks.status_of(session, c) != "done"})
    started, skipped = [], []
    for name in owners:
        agent = agents.ensure_agent(session, team.id, name)
        if agent.execution_mode == "byok":
            skipped.append({"name": name, "reason": "run by Switchyard (byok)"})
            continue
        agent.status = "starting"
        started.append({"name": name, "status": agent.status, "engine": agent.engine,
                         "execution_mode": agent.execution_mode})
    return {"sprint": sprint_json(row), "agents": started, "skippedAgents": skipped,
            "tasks": tasks.tasks_json(session, team, found)}


def ensure_sprint_zero(session: Session, team: Team) -> dict[str, Any]:
    """projects/setup's Sprint 0 (H1's hook), active."""
    row = session.scalar(select(TeamSprint).where(TeamSprint.project_id == team.id, TeamSprint.number == 0))
    if row is None:
        row = create_sprint(session, team, {"number": 0, "status": "active", "goal": "Set up the project"})
    return sprint_json(row)


def current_sprint_json(session: Session, team: Team) -> dict[str, Any] | None:
    row = current_sprint(session, team)
    return sprint_json(row) if row is not None else None


def previous_retro_json(session: Session, team: Team, number: int) -> dict[str, Any] | None:
    """The retrospective of the sprint before `number`, for the manager's context."""
    previous = session.scalar(select(TeamSprint).where(TeamSprint.project_id == team.id,
                                                       TeamSprint.number < number)
                              .order_by(TeamSprint.number.desc()).limit(1))
    if previous is None:
        return None
    return {"sprint": previous.number, "retro_summary": previous.retro_summary,
            "comments": [retro_json(c) for c in retro_comments(session, team, previous.number)]}


# Retrospectives ---------------------------------------------------------------------------------


def retro_json(row: TeamRetroComment) -> dict[str, Any]:
    return {"id": row.id, "sprint": row.sprint_number, "agent_name": row.agent_name, "went_well": row.went_well,
            "to_improve": row.to_improve, "suggested_tasks": list(row.suggested_tasks or []),
            "created_at": iso(row.created_at)}


def retro_comments(session: Session, team: Team, number: int) -> list[TeamRetroComment]:
    return list(session.scalars(select(TeamRetroComment).where(
        TeamRetroComment.project_id == team.id, TeamRetroComment.sprint_number == number)
        .order_by(TeamRetroComment.created_at, TeamRetroComment.id)))


def add_retro(session: Session, team: Team, number: int, fields: dict[str, Any]) -> tuple[TeamRetroComment, list[Any]]:
    """A comment; its suggested tasks go to the backlog (sprint -1) for the next planning."""
    require_writer(session, team)
    get_sprint(session, team, number)
    author = fields.get("agent_name") or team.agent_name or team.actor.name or "user"
    suggested = fields.get("suggested_tasks") or []
    for index, item in enumerate(suggested):
        if not isinstance(item, dict) or not (item.get("title") or "").strip():
            raise InvalidInput(f"suggested_tasks[{index}].title: required")
    if not any((fields.get(name) or "").strip() for name in ("went_well", "to_improve")) and not suggested:
        raise InvalidInput("went_well, to_improve: give at least one")
    row = TeamRetroComment(project_id=team.id, sprint_number=number, agent_name=author,
                           went_well=fields.get("went_well") or "", to_improve=fields.get("to_improve") or "",
                           suggested_tasks=suggested)
    session.add(row)
    created = [tasks.create_task(session, team, {"title": item["title"], "priority": item.get("priority"),
                                                 "description": item.get("description") or "",
                                                 "owner": item.get("owner"), "labels": ["retro"]})
               for item in suggested]
    session.flush()
    return row, created


def review(session: Session, team: Team, number: int) -> dict[str, Any]:
    from orchestrator.team.analytics import summary

    row = get_sprint(session, team, number)
    found = tasks.list_tasks(session, team, sprint=number)
    listed = tasks.tasks_json(session, team, found)
    by_owner: dict[str, list[dict[str, Any]]] = {}
    for task in listed:
        by_owner.setdefault(task["owner"] or "unassigned", []).append(task)
    return {"sprint": sprint_json(row), "summary": summary(listed), "tasks_by_owner": by_owner,
            "retro": [retro_json(c) for c in retro_comments(session, team, number)]}


def _enter(row: TeamSprint, status: str) -> None:
    row.status = status
    if status == "active" and row.started_at is None:
        row.started_at = utcnow()
    row.completed_at = utcnow() if status == "completed" else None
