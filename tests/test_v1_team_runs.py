"""Memories and accepted ADRs reach a Switchyard-run (byok) agent's real model request, and a
failed session on a team task is recorded as a failure its agents can read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import run_until_settled
from tests.v1_helpers import agent_key, make_workspace


def _byok(manager: Api, api: Api, workspace: str, base_url: str, key: str) -> None:
    api.post("/api/v1/agents", {"name": "coder"}, headers={"X-Workspace-Id": workspace}, expect=201)
    manager.put("/api/v1/agents/coder/config", {"engine": "claude-api", "execution_mode": "byok",
                                                "api_key": key, "base_url": base_url})


def test_memories_and_decisions_reach_the_model(app: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    script = [[{"tool": "finish", "input": {"summary": "done"}}]]
    with fake_provider("anthropic", script, key="sk-good") as (server, base_url):
        _byok(manager, api, workspace, base_url, "sk-good")
        manager.put("/api/v1/agents/coder/memories/style", {"content": "Tabs, never spaces", "type": "feedback"},
                    expect=201)
        manager.put("/api/v1/agents/manager/memories/rule", {"content": "Ship small", "type": "project",
                                                             "shared": True}, expect=201)
        manager.put("/api/v1/agents/manager/memories/own", {"content": "Manager only", "type": "project"},
                    expect=201)
        manager.post("/api/v1/adr", {"title": "DB", "context": "c", "decision": "Use SQLite", "rationale": "r",
                                     "status": "accepted"}, expect=201)
        task = manager.post("/api/v1/tasks", {"title": "Tabs everywhere", "owner": "coder"}, expect=201)
        preview = manager.get("/api/v1/agents/coder/prompt-preview?mode=full")["prompt"]
        manager.patch(f"/api/v1/tasks/{task['id']}", {"status": "in_progress"})
        run_until_settled(app)
    system = str(server.requests[0]["body"].get("system"))
    for text in ("Tabs, never spaces", "Ship small", "Use SQLite"):
        assert text in system and text in preview
    assert "Manager only" not in system and "Manager only" not in preview
    assert manager.get(f"/api/v1/tasks/{task['id']}")["status"] == "review"


def test_failed_session_is_recorded(app: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    with fake_provider("anthropic", [], key="sk-right") as (_server, base_url):
        _byok(manager, api, workspace, base_url, "sk-wrong")
        task = manager.post("/api/v1/tasks", {"title": "Doomed", "owner": "coder", "status": "in_progress"},
                            expect=201)
        run_until_settled(app)
    failures = manager.get("/api/v1/failures")
    assert failures and failures[0]["failure_type"] == "session_failed"
    assert failures[0]["task_id"] == task["id"] and failures[0]["agent_name"] == "coder"
    assert "Doomed" in manager.get("/api/v1/failures/relevant")[0]["summary"]
