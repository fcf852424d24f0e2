"""A person's manual tasks beside the agents' sprint tasks, and the ones blocking the sprint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import TeamUserTask, iso, utcnow
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.team import tasks
from orchestrator.team.workspaces import Team, require_editor

STATUSES = ("todo", "in_progress", "done")


def list_user_tasks(session: Session, team: Team, status: str | None = None) -> list[TeamUserTask]:
    query = select(TeamUserTask).where(TeamUserTask.project_id == team.id)
    if status is not None:
        query = query.where(TeamUserTask.status == _status(status))
    return list(session.scalars(query.order_by(TeamUserTask.created_at, TeamUserTask.id)))


def create_user_task(session: Session, team: Team, fields: dict[str, Any]) -> TeamUserTask:
    require_editor(session, team)
    row = TeamUserTask(project_id=team.id, title=_title(fields.get("title")),
                       description=_description(fields.get("description")),
                       related_tasks=_related(fields.get("related_tasks")))
    session.add(row)
    session.flush()
    return row


def update_user_task(session: Session, team: Team, task_id: str, fields: dict[str, Any]) -> TeamUserTask:
    require_editor(session, team)
    row = _get(session, team, task_id)
    if fields.get("title") is not None:
        row.title = _title(fields["title"])
    if fields.get("description") is not None:
        row.description = _description(fields["description"])
    if fields.get("related_tasks") is not None:
        row.related_tasks = _related(fields["related_tasks"])
    if fields.get("status") is not None:
        row.status = _status(fields["status"])
        row.completed_at = utcnow() if row.status == "done" else None
    return row


def delete_user_task(session: Session, team: Team, task_id: str) -> None:
    require_editor(session, team)
    session.delete(_get(session, team, task_id))


def blockers(session: Session, team: Team, sprint: int | None) -> list[dict[str, Any]]:
    """Open user tasks whose related tasks are in the current sprint and not done."""
    sprint_tasks = {card.id: card for card in tasks.list_tasks(session, team, sprint=sprint)} if sprint is not None \
        else {card.id: card for card in tasks.list_tasks(session, team) if (card.extra or {}).get("sprint", -1) >= 0}
    found = []
    for row in list_user_tasks(session, team):
        blocked = [sprint_tasks[i] for i in row.related_tasks if i in sprint_tasks]
        if row.status != "done" and blocked:
            found.append({"id": row.id, "title": row.title, "status": row.status, "related_tasks": row.related_tasks,
                          "blocked_sprint_tasks": [{"id": c.id, "title": c.title,
                                                    "status": tasks.status_of(session, c),
                                                    "owner": c.assigned_agent_id} for c in blocked]})
    return found


def user_task_json(row: TeamUserTask) -> dict[str, Any]:
    return {"id": row.id, "workspace_id": row.project_id, "title": row.title, "description": row.description,
            "status": row.status, "related_tasks": row.related_tasks, "created_at": iso(row.created_at),
            "completed_at": iso(row.completed_at)}


def _get(session: Session, team: Team, task_id: str) -> TeamUserTask:
    row = session.get(TeamUserTask, task_id)
    if row is None or row.project_id != team.id:
        raise NotFound.of("user task", task_id)
    return row


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("title: required")
    if len(value) > 200:
        raise InvalidInput("title: at most 200 characters")
    return value.strip()


def _description(value: Any) -> str:
    text = value or ""
    if len(text) > 2000:
        raise InvalidInput("description: at most 2000 characters")
    return text


def _related(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput("related_tasks: must be a list of task ids")
    return value


def _status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    return value
