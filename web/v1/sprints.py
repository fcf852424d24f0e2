"""Seed 004's sprints, their retrospectives and the analytics drawn from them."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.team import analytics, progress, repositories, sprints, tasks
from orchestrator.team.agents import agent_json, list_agents
from web.context import db
from web.schemas.team_more import (
    DailyQuery,
    RetroBody,
    SprintCreate,
    SprintPath,
    SprintTasksQuery,
    SprintUpdate,
    VelocityQuery,
)
from web.v1.context import bare, team

bp = APIBlueprint("v1_sprints", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: sprints")],
                  abp_security=[{"bearer": []}])


@bp.get("/sprints")
def list_sprints():  # type: ignore[no-untyped-def]
    return bare([sprints.sprint_json(row) for row in sprints.list_sprints(db(), team())])


@bp.post("/sprints")
def create_sprint(body: SprintCreate):  # type: ignore[no-untyped-def]
    return bare(sprints.sprint_json(sprints.create_sprint(db(), team(), body.model_dump(exclude_none=True))), 201)


@bp.get("/sprints/current")
def current_sprint():  # type: ignore[no-untyped-def]
    return bare(sprints.sprint_json(sprints.require_current(db(), team())))


@bp.post("/sprints/current/start")
def start_current():  # type: ignore[no-untyped-def]
    return bare(sprints.start_current(db(), team()))


@bp.get("/sprints/current/tasks")
def current_tasks(query: SprintTasksQuery):  # type: ignore[no-untyped-def]
    current = team()
    row = sprints.get_sprint(db(), current, query.sprint) if query.sprint is not None \
        else sprints.require_current(db(), current)
    return bare({
        "sprint": sprints.sprint_json(row),
        "tasks": tasks.tasks_json(db(), current, tasks.list_tasks(db(), current, sprint=row.number)),
        "agents": [agent_json(a) for a in list_agents(db(), current)],
        "sprints": [sprints.sprint_json(s) for s in sprints.list_sprints(db(), current)],
        "progress": [progress.progress_json(p) for p in progress.latest_per_agent(db(), current)],
        "repositories": repositories.list_repositories(db(), current),
    })


@bp.patch("/sprints/<int:number>")
def update_sprint(path: SprintPath, body: SprintUpdate):  # type: ignore[no-untyped-def]
    row = sprints.update_sprint(db(), team(), path.number, body.model_dump(exclude_none=True))
    return bare(sprints.sprint_json(row))


@bp.get("/sprints/<int:number>/review")
def sprint_review(path: SprintPath):  # type: ignore[no-untyped-def]
    return bare(sprints.review(db(), team(), path.number))


@bp.get("/sprints/<int:number>/retro")
def get_retro(path: SprintPath):  # type: ignore[no-untyped-def]
    current = team()
    row = sprints.get_sprint(db(), current, path.number)
    return bare({"sprint": row.number, "retro_summary": row.retro_summary,
                 "comments": [sprints.retro_json(c) for c in sprints.retro_comments(db(), current, row.number)]})


@bp.post("/sprints/<int:number>/retro")
def post_retro(path: SprintPath, body: RetroBody):  # type: ignore[no-untyped-def]
    current = team()
    comment, created = sprints.add_retro(db(), current, path.number, body.model_dump(exclude_none=True))
    return bare({**sprints.retro_json(comment), "created_tasks": tasks.tasks_json(db(), current, created)}, 201)


@bp.get("/sprints/<int:number>/analytics")
def sprint_analytics(path: SprintPath):  # type: ignore[no-untyped-def]
    return bare(analytics.sprint_analytics(db(), team(), path.number))


@bp.get("/analytics/velocity")
def velocity(query: VelocityQuery):  # type: ignore[no-untyped-def]
    return bare(analytics.velocity(db(), team(), query.limit))


@bp.get("/analytics/daily")
def daily(query: DailyQuery):  # type: ignore[no-untyped-def]
    return bare(analytics.daily(db(), team(), query.date))
