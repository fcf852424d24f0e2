"""Seed 004's workspace routes: the workspace itself, workspaces, setup, export/import, user tasks,
repositories, activity, audit, search, admin, config, and the GitHub-bound routes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, Users
from tests.v1_helpers import agent_key, make_workspace


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    return agent_key(api, make_workspace(api, repo)["id"])


def test_get_update_workspace(builder: Api) -> None:
    workspace = builder.get("/api/v1/workspace")
    assert workspace["name"] == "Team" and workspace["workflow"] == "scrum"
    assert set(workspace["project_spec"]) == {"vision", "target_users", "tech_stack", "features", "requirements"}
    updated = builder.put("/api/v1/workspace", {"description": "A web app", "language": "ja", "spec": "Spec",
                                                "project_spec": {"vision": "Ship it"}})
    assert updated["language"] == "ja" and updated["spec"] == "Spec" and updated["project_spec"]["vision"] == "Ship it"
    assert builder.put("/api/v1/workspace", {"workflow": "waterfall"}, expect=400)["error"] == "validation_error"


def test_workspaces_create_without_path_makes_a_repository(api: Api, settings: Any) -> None:
    made = api.post("/api/v1/workspaces", {"language": "en"}, expect=201)
    path = Path(made["repo_path"])
    assert path.is_relative_to(settings.data_dir)
    assert subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True).returncode == 0
    assert api.get("/api/v1/workspace")["id"] == made["id"]  # created and switched to
    listed = api.get("/api/v1/workspaces")
    assert made["id"] in [w["id"] for w in listed] and set(listed[0]) == {"id", "name", "github_org", "github_avatar"}


def test_switch_returns_a_key(api: Api, repo: Path, make_repo: Any) -> None:
    first = make_workspace(api, repo, "First")
    second = make_workspace(api, make_repo("second"), "Second")
    assert api.get("/api/v1/workspace")["id"] == second["id"]
    switched = api.post(f"/api/v1/workspaces/{first['id']}/switch")
    assert switched["workspace"] == {"id": first["id"], "name": "First"} and switched["key"].startswith("tb_")
    assert api.get("/api/v1/workspace")["id"] == first["id"]
    assert api.as_user(switched["key"]).get("/api/v1/workspace")["id"] == first["id"]
    assert api.post("/api/v1/workspaces/proj_nope/switch", expect=404)["error"] == "not_found"


def test_no_workspace_yet(api: Api) -> None:
    assert api.get("/api/v1/workspace", expect=404)["error"] == "no_workspace"


def test_projects_setup(api: Api) -> None:
    result = api.post("/api/v1/projects/setup", {"name": "Shop", "language": "en", "agents": [
        {"name": "builder", "engine": "claude-api", "execution_mode": "byok", "api_key": "sk-x"}]}, expect=201)
    assert result["workspace"]["name"] == "Shop"
    assert result["manager_agent"]["name"] == "manager" and result["manager_agent"]["status"] == "active"
    assert result["sprint"]["number"] == 0
    agents = {a["name"]: a for a in api.get("/api/v1/agents")}
    assert agents["builder"]["execution_mode"] == "byok" and agents["builder"]["has_api_key"]
    assert len(api.get("/api/v1/tasks?sprint=0")) == 2
    context = api.get("/api/v1/manager/context")
    assert context["workspace"]["id"] == result["workspace"]["id"] and len(context["agents"]) == 2
    assert any(e["type"] == "message" for e in api.get("/api/v1/activity"))


def test_export_and_import(builder: Api) -> None:
    builder.post("/api/v1/tasks", {"title": "Setup repo", "priority": "p0"}, expect=201)
    exported = builder.get("/api/v1/workspace/export")
    assert exported["version"] == 1 and exported["workspace"]["name"] == "Team"
    assert exported["task_templates"][0]["title"] == "Setup repo" and exported["task_templates"][0]["labels"] == "[]"
    merged = builder.post("/api/v1/workspace/import", {"version": 1, "agents": [{"name": "qa", "engine": "codex"}],
                                                       "task_templates": [{"title": "Setup repo"}, {"title": "CI"}]})
    assert merged == {"ok": True, "mode": "merge", "stats": {"agents_imported": 1, "templates_imported": 1}}
    replaced = builder.post("/api/v1/workspace/import", {"mode": "replace", "task_templates": [{"title": "Only"}]})
    assert replaced["mode"] == "replace"
    assert [t["title"] for t in builder.get("/api/v1/tasks")] == ["Only"]
    assert builder.post("/api/v1/workspace/import", {"mode": "wipe"}, expect=400)["error"] == "validation_error"


def test_user_tasks_and_blockers(builder: Api) -> None:
    task = builder.post("/api/v1/tasks", {"title": "Deploy", "sprint": 1}, expect=201)
    made = builder.post("/api/v1/workspace/user-tasks", {"title": "Review guide", "related_tasks": [task["id"]]},
                        expect=201)
    assert made["status"] == "todo" and made["related_tasks"] == [task["id"]]
    blockers = builder.get("/api/v1/workspace/user-tasks/blockers")
    assert blockers[0]["blocked_sprint_tasks"][0]["id"] == task["id"]
    done = builder.put(f"/api/v1/workspace/user-tasks/{made['id']}", {"status": "done"})
    assert done["completed_at"] is not None
    assert builder.get("/api/v1/workspace/user-tasks?status=todo") == []
    assert builder.get("/api/v1/workspace/user-tasks/blockers") == []
    assert builder.post("/api/v1/workspace/user-tasks", {"title": "x" * 201}, expect=400)["error"] == "validation_error"
    assert builder.delete(f"/api/v1/workspace/user-tasks/{made['id']}", expect=200)["ok"] is True


def test_repositories(builder: Api) -> None:
    repo = builder.post("/api/v1/workspace/repositories", {"repo_path": "org/app", "access_agents": ["builder"]},
                        expect=201)
    assert repo["repo_name"] == "app"
    assert builder.put(f"/api/v1/workspace/repositories/{repo['id']}", {"description": "Main"})["description"] == "Main"
    assert [r["id"] for r in builder.get("/api/v1/workspace/repositories")] == [repo["id"]]
    assert builder.delete(f"/api/v1/workspace/repositories/{repo['id']}", expect=200)["ok"] is True
    assert builder.post("/api/v1/workspace/repositories", {}, expect=400)["error"] == "validation_error"


def test_github_routes_answer_501(api: Api, builder: Api) -> None:
    for path in ("/api/v1/workspace/git-token", "/api/v1/repos/orgs", "/api/v1/repos/pulls"):
        assert builder.get(path, expect=501)["error"] == "github_not_configured"
    assert builder.post("/api/v1/repos", {}, expect=501)["error"] == "github_not_configured"
    assert api.get("/api/auth/github", expect=501)["error"] == "github_not_configured"
    assert builder.get("/api/v1/repos")[0]["local"] is True


def test_events_activity_search_audit(builder: Api) -> None:
    builder.post("/api/v1/tasks", {"title": "Find the needle"}, expect=201)
    assert builder.post("/api/v1/events", [{"type": "agent.started", "agent": "builder"}], expect=201)["count"] == 1
    assert builder.post("/api/v1/events", [{"nope": 1}], expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/events", {"type": "x"}, expect=400)["error"] == "validation_error"
    types = [e["type"] for e in builder.get("/api/v1/activity")]
    assert "agent.started" in types and "card.created" in types
    assert [t["title"] for t in builder.get("/api/v1/search?q=needle")["tasks"]] == ["Find the needle"]
    assert builder.get("/api/v1/search", expect=400)["error"] == "validation_error"
    assert builder.get("/api/v1/ops-tasks/due") == []
    assert isinstance(builder.get("/api/v1/audit-logs"), list)


def test_plan_limits_and_constants(builder: Api) -> None:
    limits = builder.get("/api/v1/workspace/plan-limits")
    assert set(limits) == {"max_builders", "max_cloud_engineers", "build_command", "test_command",
                           "stall_timeout_minutes"}
    constants = builder.get("/api/v1/config/constants")
    assert constants["priorities"] == ["p0", "p1", "p2", "p3"] and "claude-api" in constants["engines"]


def test_admin_is_for_the_site_owner(api: Api, users: Users, repo: Path) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    owner = api.as_user(token)
    make_workspace(owner, repo)
    assert owner.put("/api/v1/admin/settings", {"banner_enabled": True, "banner_message": "Hi"})["banner_enabled"] == "true"
    status = api.get("/api/site/status")
    assert status["banner"] is True and status["banner_message"] == "Hi"
    stats = owner.get("/api/v1/admin/stats")
    assert stats["workspaces"] == 1 and set(stats) == {"workspaces", "active_workspaces_7d", "total_tasks",
                                                       "total_agents"}
    assert len(owner.get("/api/v1/admin/workspaces")) == 1
    other, _ = users.register("user@example.com")
    assert api.as_user(other).get("/api/v1/admin/settings", expect=403)["error"] == "forbidden"


def test_delete_workspace(api: Api, builder: Api) -> None:
    workspace = builder.get("/api/v1/workspace")["id"]
    assert builder.delete("/api/v1/workspace", expect=403)["error"] == "forbidden"
    person = api.as_user(api.post("/api/keys", {"workspace_id": workspace}, expect=201)["key"])
    assert person.delete("/api/v1/workspace", expect=200) == {"ok": True, "id": workspace}
    assert builder.get("/api/v1/workspace", expect=401)["error"] == "invalid_key"
