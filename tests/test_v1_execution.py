"""Seed 004 tasks run by Switchyard: a `byok` agent's task entering in_progress runs a session with
the agent's engine, key and system prompt against a fake model, goes to review with a report from
the session, and is approved; a `local` agent's task never starts a session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import AgentSession
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import run_until_settled
from tests.v1_helpers import agent_key, make_workspace


def _sessions(app: Any, card_id: str) -> list[AgentSession]:
    with app.extensions["switchyard"].transaction() as db:
        rows = db.scalars(select(AgentSession).where(AgentSession.card_id == card_id)).all()
        db.expunge_all()
        return list(rows)


def test_byok_task_runs_to_review_and_approval(app: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    manager = agent_key(api, workspace["id"], "manager")
    script = [
        [{"tool": "write_file", "input": {"path": "login.txt", "content": "login\n"}}],
        [{"tool": "finish", "input": {"summary": "added the login page"}}],
    ]
    with fake_provider("anthropic", script, key="sk-agent-key") as (server, base_url):
        api.post("/api/v1/agents", {"name": "coder"}, headers={"X-Workspace-Id": workspace["id"]}, expect=201)
        config = manager.put("/api/v1/agents/coder/config", {
            "engine": "claude-api", "execution_mode": "byok", "api_key": "sk-agent-key", "base_url": base_url,
            "system_prompt": "Always write tests first."})
        assert config["execution_mode"] == "byok" and config["has_api_key"] is True
        assert "sk-agent-key" not in str(config)
        task = manager.post("/api/v1/tasks", {"title": "Login page", "owner": "coder", "status": "in_progress"},
                            expect=201)
        run_until_settled(app)

    after = manager.get(f"/api/v1/tasks/{task['id']}")
    assert after["status"] == "review"
    assert after["review_report"]["summary"] == "added the login page"
    assert len(after["commits"]) == 1
    sessions = _sessions(app, task["id"])
    assert [s.status for s in sessions] == ["completed"] and sessions[0].engine == "anthropic"
    system = str(server.requests[0]["body"].get("system"))
    assert "Always write tests first." in system
    spawned = [log for log in manager.get("/api/v1/audit-logs") if log["action"] == "agent.spawned"]
    assert spawned[0]["actor"] == "coder" and spawned[0]["detail"]["task_id"] == task["id"]
    manager.post(f"/api/v1/tasks/{task['id']}/approve")
    assert manager.get(f"/api/v1/tasks/{task['id']}")["status"] == "done"


def test_local_agent_tasks_never_start_sessions(app: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    builder = agent_key(api, workspace["id"])
    task = builder.post("/api/v1/tasks", {"title": "Mine to run", "status": "in_progress"}, expect=201)
    assert task["status"] == "in_progress"
    assert _sessions(app, task["id"]) == []
