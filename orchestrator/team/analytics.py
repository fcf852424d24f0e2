"""Numbers for the sprint charts: per-sprint summary and burndown, cross-sprint velocity, and a
day's activity. Computed from the tasks (cards: status, points, completed_at) on each call."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import TeamProgress, iso
from orchestrator.errors import InvalidInput
from orchestrator.team import tasks
from orchestrator.team.sprints import get_sprint, list_sprints
from orchestrator.team.workspaces import Team

BURNDOWN_DAYS = 90  # the chart stops here: a forgotten sprint must not make an endless series
STATUS_NAMES = ("done", "review", "in_progress", "todo", "blocked")


def summary(listed: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {name: sum(1 for t in listed if t["status"] == name) for name in STATUS_NAMES}
    total = len(listed)
    return {"total": total, **counts, "completion_rate": round(100 * counts["done"] / total) if total else 0,
            "total_points": sum(_points(t) for t in listed),
            "done_points": sum(_points(t) for t in listed if t["status"] == "done")}


def sprint_analytics(session: Session, team: Team, number: int) -> dict[str, Any]:
    row = get_sprint(session, team, number)
    listed = tasks.tasks_json(session, team, tasks.list_tasks(session, team, sprint=number))
    by_agent: dict[str, dict[str, int]] = {}
    by_type: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    for task in listed:
        agent = by_agent.setdefault(task["owner"] or "unassigned", {"total": 0, "done": 0, "points": 0})
        agent["total"] += 1
        if task["status"] == "done":
            agent["done"] += 1
            agent["points"] += _points(task)
        by_type[task["type"]] = by_type.get(task["type"], 0) + 1
        by_priority[task["priority"]] = by_priority.get(task["priority"], 0) + 1
    start = (row.started_at or row.created_at).date()
    end = (row.completed_at or datetime.now(UTC)).date()
    return {
        "sprint": {"number": row.number, "status": row.status, "created_at": iso(row.created_at),
                   "completed_at": iso(row.completed_at)},
        "summary": summary(listed), "by_agent": by_agent, "by_type": by_type, "by_priority": by_priority,
        "burndown": burndown(listed, start, end),
        "tasks": [{"id": t["id"], "title": t["title"], "status": t["status"], "owner": t["owner"],
                   "type": t["type"], "story_points": t["story_points"]} for t in listed],
    }


def burndown(listed: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """Tasks not yet done at the end of each day from the sprint's start."""
    done_on = [_day(t["completed_at"]) for t in listed if t["status"] == "done" and t["completed_at"]]
    days = min((end - start).days, BURNDOWN_DAYS)
    series = []
    for offset in range(max(days, 0) + 1):
        day = start + timedelta(days=offset)
        series.append({"date": day.isoformat(), "remaining": len(listed) - sum(1 for d in done_on if d <= day)})
    return series


def velocity(session: Session, team: Team, limit: int = 10) -> dict[str, Any]:
    if limit < 1:
        raise InvalidInput("limit: must be at least 1")
    rows = list_sprints(session, team)[-limit:]
    every = tasks.tasks_json(session, team, tasks.list_tasks(session, team))
    result = []
    for row in rows:
        stats = summary([t for t in every if t["sprint"] == row.number])
        result.append({"sprint": row.number, "status": row.status, "total": stats["total"], "done": stats["done"],
                       "total_points": stats["total_points"], "done_points": stats["done_points"]})
    return {"velocity": result}


def daily(session: Session, team: Team, day: str | None = None) -> dict[str, Any]:
    wanted = _parse_day(day)
    every = tasks.tasks_json(session, team, tasks.list_tasks(session, team))
    done_today = [t for t in every if t["completed_at"] and _day(t["completed_at"]) == wanted]
    created_today = [t for t in every if _day(t["created_at"]) == wanted]
    types: dict[str, int] = {}
    for task in done_today:
        types[task["type"]] = types.get(task["type"], 0) + 1
    reporters = set(session.scalars(select(TeamProgress.agent_name).where(
        TeamProgress.project_id == team.id, TeamProgress.created_at >= _start(wanted),
        TeamProgress.created_at < _start(wanted + timedelta(days=1)))))
    hourly = []
    for hour in range(24):
        done = sum(1 for t in done_today if _hour(t["completed_at"]) == hour)
        started = sum(1 for t in created_today if _hour(t["created_at"]) == hour)
        hourly.append({"hour": hour, "done": done, "started": started, "total": done + started})
    return {
        "date": wanted.isoformat(),
        "scorecard": {"tasks_done": len(done_today), "points": sum(_points(t) for t in done_today),
                      "agents_active": len({t["owner"] for t in done_today if t["owner"]} | reporters),
                      "types": types},
        "hourly": hourly, "cumulative": _cumulative(every, wanted),
        "tasks": [{"id": t["id"], "title": t["title"], "owner": t["owner"], "type": t["type"],
                   "completed_at": t["completed_at"]} for t in done_today],
    }


def _cumulative(every: list[dict[str, Any]], wanted: date, days: int = 7) -> list[dict[str, Any]]:
    done_on = [_day(t["completed_at"]) for t in every if t["completed_at"] and t["status"] == "done"]
    series = []
    for offset in range(days - 1, -1, -1):
        day = wanted - timedelta(days=offset)
        series.append({"date": day.isoformat(), "total": sum(1 for d in done_on if d <= day),
                       "daily": sum(1 for d in done_on if d == day)})
    return series


def _parse_day(value: str | None) -> date:
    if not value:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("date: must be YYYY-MM-DD") from None


def _points(task: dict[str, Any]) -> int:
    value = task.get("story_points")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def _hour(stamp: str) -> int:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).hour


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)

