"""Workspace routes of seed 004: the workspace and its repositories, user tasks, export/import,
workspaces, project setup, manager context, activity, audit, search, admin, and GitHub stubs."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import RootModel

from models import iso
from orchestrator.errors import NotFound, NotSupported
from orchestrator.team import (
    activity,
    audit,
    keys,
    repositories,
    setup,
    site,
    user_tasks,
    workspaces,
)
from orchestrator.team.workspaces import Team
from web.context import actor, db
from web.guards import public
from web.schemas.v1 import (
    IdPath,
    LimitQuery,
    ProjectSetup,
    RepositoryBody,
    SearchQuery,
    SiteSettings,
    UserTaskCreate,
    UserTaskQuery,
    UserTaskUpdate,
    WorkspaceCreate,
    WorkspaceImport,
    WorkspaceUpdate,
)
from web.v1.context import bare, data_dir, keyring, team

bp = APIBlueprint("v1_workspace", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: workspace")],
                  abp_security=[{"bearer": []}])
GITHUB = "GitHub is not configured on this Switchyard; this needs a GitHub App connection"


class EventBatch(RootModel[list[dict[str, Any]]]):
    pass


@bp.get("/config/constants")
@public
def constants():  # type: ignore[no-untyped-def]
    return bare(setup.CONSTANTS)


@bp.get("/workspace")
def get_workspace():  # type: ignore[no-untyped-def]
    return bare(workspaces.workspace_json(db(), team().project))


@bp.put("/workspace")
def update_workspace(body: WorkspaceUpdate):  # type: ignore[no-untyped-def]
    current = team()
    project = workspaces.update_workspace(db(), current, body.model_dump(exclude_unset=True))
    return bare(workspaces.workspace_json(db(), project))


@bp.delete("/workspace")
def delete_workspace():  # type: ignore[no-untyped-def]
    current = team()
    workspaces.delete_workspace(db(), current)
    return bare({"ok": True, "id": current.id})


@bp.get("/workspace/plan-limits")
def plan_limits():  # type: ignore[no-untyped-def]
    return bare(setup.plan_limits(db(), team().project))


@bp.get("/workspace/repositories")
def list_repositories():  # type: ignore[no-untyped-def]
    return bare(repositories.list_repositories(db(), team()))


@bp.post("/workspace/repositories")
def add_repository(body: RepositoryBody):  # type: ignore[no-untyped-def]
    row = repositories.add_repository(db(), team(), body.model_dump(exclude_none=True))
    return bare(repositories.repository_json(row), 201)


@bp.put("/workspace/repositories/<id>")
def update_repository(path: IdPath, body: RepositoryBody):  # type: ignore[no-untyped-def]
    row = repositories.update_repository(db(), team(), path.id, body.model_dump(exclude_none=True))
    return bare(repositories.repository_json(row))


@bp.delete("/workspace/repositories/<id>")
def delete_repository(path: IdPath):  # type: ignore[no-untyped-def]
    repositories.delete_repository(db(), team(), path.id)
    return bare({"ok": True})


@bp.get("/workspace/export")
def export_workspace():  # type: ignore[no-untyped-def]
    return bare(setup.export_workspace(db(), team()))


@bp.post("/workspace/import")
def import_workspace(body: WorkspaceImport):  # type: ignore[no-untyped-def]
    return bare(setup.import_workspace(db(), keyring(), team(), body.model_dump()))


@bp.get("/workspace/user-tasks")
def list_user_tasks(query: UserTaskQuery):  # type: ignore[no-untyped-def]
    return bare([user_tasks.user_task_json(r) for r in user_tasks.list_user_tasks(db(), team(), query.status)])


@bp.get("/workspace/user-tasks/blockers")
def user_task_blockers():  # type: ignore[no-untyped-def]
    current = team()
    sprint = setup.manager_context(db(), current)["sprint"]
    return bare(user_tasks.blockers(db(), current, sprint.get("number") if sprint else None))


@bp.post("/workspace/user-tasks")
def create_user_task(body: UserTaskCreate):  # type: ignore[no-untyped-def]
    row = user_tasks.create_user_task(db(), team(), body.model_dump(exclude_none=True))
    return bare(user_tasks.user_task_json(row), 201)


@bp.put("/workspace/user-tasks/<id>")
def update_user_task(path: IdPath, body: UserTaskUpdate):  # type: ignore[no-untyped-def]
    row = user_tasks.update_user_task(db(), team(), path.id, body.model_dump(exclude_none=True))
    return bare(user_tasks.user_task_json(row))


@bp.delete("/workspace/user-tasks/<id>")
def delete_user_task(path: IdPath):  # type: ignore[no-untyped-def]
    user_tasks.delete_user_task(db(), team(), path.id)
    return bare({"ok": True})


@bp.get("/workspace/git-token")
def git_token():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")


@bp.get("/workspaces")
def list_workspaces():  # type: ignore[no-untyped-def]
    rows = workspaces.list_workspaces(db(), actor())
    return bare([{"id": p.id, "name": p.name, "github_org": None, "github_avatar": None} for p in rows])


@bp.post("/workspaces")
def create_workspace(body: WorkspaceCreate):  # type: ignore[no-untyped-def]
    project = workspaces.create_workspace(db(), actor(), data_dir(), body.model_dump(exclude_none=True))
    workspaces.switch(db(), actor(), project.id)
    return bare(workspaces.workspace_json(db(), project), 201)


@bp.post("/workspaces/<id>/switch")
def switch_workspace(path: IdPath):  # type: ignore[no-untyped-def]
    project = workspaces.switch(db(), actor(), path.id)
    key = keys.create_key(db(), keyring(), actor(), project.id, None)
    return bare({"key": key["key"], "workspace": {"id": project.id, "name": project.name}})


@bp.post("/projects/setup")
def setup_project(body: ProjectSetup):  # type: ignore[no-untyped-def]
    try:
        current = team()
    except NotFound:  # no workspace yet: the setup makes one, on a new repository
        project = workspaces.create_workspace(db(), actor(), data_dir(), {"name": body.name})
        workspaces.switch(db(), actor(), project.id)
        current = Team(project, actor())
    return bare(setup.setup_project(db(), keyring(), current, body.model_dump(exclude_none=True)), 201)


@bp.get("/manager/context")
def manager_context():  # type: ignore[no-untyped-def]
    return bare(setup.manager_context(db(), team()))


@bp.get("/activity")
def list_activity(query: LimitQuery):  # type: ignore[no-untyped-def]
    return bare(activity.activity(db(), team(), query.limit))


@bp.post("/events")
def record_events():  # type: ignore[no-untyped-def]
    batch = EventBatch.model_validate(request.get_json(silent=True) if request.is_json else None).root
    return bare(activity.record_events(db(), team(), batch), 201)


@bp.get("/ops-tasks/due")
def due_ops_tasks():  # type: ignore[no-untyped-def]
    team()
    return bare([])


@bp.get("/audit-logs")
def audit_logs(query: LimitQuery):  # type: ignore[no-untyped-def]
    return bare(audit.list_logs(db(), team().id, query.limit))


@bp.get("/search")
def search(query: SearchQuery):  # type: ignore[no-untyped-def]
    return bare(activity.search(db(), team(), query.q))


@bp.get("/auth/me")
def me():  # type: ignore[no-untyped-def]
    current = team()
    return bare({"github_login": None, "github_avatar": None, "workspace_id": current.id,
                 "actor": current.agent_name or current.actor.name or current.actor.user_id})


@bp.get("/admin/settings")
def admin_settings():  # type: ignore[no-untyped-def]
    site.require_site_owner(db(), actor())
    return bare(site.site_settings(db()))


@bp.put("/admin/settings")
def update_admin_settings(body: SiteSettings):  # type: ignore[no-untyped-def]
    return bare(site.update_settings(db(), actor(), body.model_dump(exclude_none=True)))


@bp.get("/admin/workspaces")
def admin_workspaces():  # type: ignore[no-untyped-def]
    rows = site.all_workspaces(db(), actor())
    return bare([{"id": p.id, "name": p.name, "owner_id": p.owner_id, "created_at": iso(p.created_at)}
                 for p in rows])


@bp.get("/admin/stats")
def admin_stats():  # type: ignore[no-untyped-def]
    return bare(site.stats(db(), actor()))


@bp.get("/repos")
def list_repos():  # type: ignore[no-untyped-def]
    """Without GitHub, the project's own local repository."""
    return bare([repositories.local_repository(team())])


@bp.post("/repos")
def create_repo():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")


@bp.get("/repos/orgs")
def repo_orgs():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")


@bp.get("/repos/pulls")
def repo_pulls():  # type: ignore[no-untyped-def]
    raise NotSupported(GITHUB, code="github_not_configured")
