"""Seed 004's agents registry: upsert status with ws_port, list with `all`, create, configure, and
delete refusing the manager and agents with history or tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Api
from tests.v1_helpers import agent_key, make_workspace


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    return agent_key(api, make_workspace(api, repo)["id"])


def test_upsert_status_creates_and_updates(builder: Api) -> None:
    agent = builder.put("/api/v1/agents", {"name": "builder", "status": "active", "activity": "task-1",
                                           "ws_port": 4000})
    assert agent["status"] == "active" and agent["ws_port"] == 4000 and agent["last_seen_at"]
    again = builder.put("/api/v1/agents", {"name": "builder", "status": "idle"})
    assert again["id"] == agent["id"] and again["ws_port"] == 4000 and again["execution_mode"] == "local"
    assert builder.put("/api/v1/agents", {"name": "x", "ws_port": 70000}, expect=400)["error"] == "validation_error"


def test_list_hides_finished_children_unless_all(builder: Api) -> None:
    builder.put("/api/v1/agents", {"name": "lead", "status": "active"})
    builder.put("/api/v1/agents", {"name": "child", "status": "finished", "parent_agent": "lead"})
    assert [a["name"] for a in builder.get("/api/v1/agents")] == ["lead"]
    assert [a["name"] for a in builder.get("/api/v1/agents?all=true")] == ["lead", "child"]


def test_create_and_duplicate(builder: Api) -> None:
    assert builder.post("/api/v1/agents", {"name": "qa"}, expect=201)["role"] == "builder"
    assert builder.post("/api/v1/agents", {"name": "qa"}, expect=409)["error"] == "agent_exists"
    assert builder.post("/api/v1/agents", {}, expect=400)["error"] == "validation_error"


def test_config_rules(api: Api, builder: Api) -> None:
    builder.post("/api/v1/agents", {"name": "qa"}, expect=201)
    config = builder.put("/api/v1/agents/qa/config", {"engine": "gemini", "model": "gemini-2.5-pro",
                                                      "api_key": "secret-gemini-key"})
    assert config["engine"] == "gemini" and config["has_api_key"] and "secret-gemini-key" not in str(config)
    assert builder.put("/api/v1/agents/qa/config", {"engine": "gpt"}, expect=400)["error"] == "validation_error"
    refused = builder.put("/api/v1/agents/qa/config", {"command_template": "run {prompt}"}, expect=403)
    assert refused["error"] == "forbidden" and "command_template" in refused["message"]
    workspace = builder.get("/api/v1/workspace")["id"]
    person = api.put("/api/v1/agents/qa/config", {"engine": "custom", "command_template": "run"},
                     headers={"X-Workspace-Id": workspace})
    assert person["command_template"] == "run"
    assert builder.put("/api/v1/agents/ghost/config", {"engine": "codex"}, expect=404)["error"] == "not_found"


def test_delete_refusals(builder: Api) -> None:
    builder.post("/api/v1/agents", {"name": "manager", "role": "manager"}, expect=201)
    assert builder.delete("/api/v1/agents/manager", expect=409)["error"] == "cannot_delete_manager"
    builder.put("/api/v1/agents", {"name": "veteran", "status": "active"})
    assert builder.delete("/api/v1/agents/veteran", expect=409)["error"] == "agent_has_history"
    builder.post("/api/v1/tasks", {"title": "Work", "owner": "busy"}, expect=201)
    assert builder.delete("/api/v1/agents/busy", expect=409)["error"] == "agent_has_tasks"
    builder.post("/api/v1/agents", {"name": "spare"}, expect=201)
    assert builder.delete("/api/v1/agents/spare", expect=200) == {"ok": True, "name": "spare"}
    assert builder.delete("/api/v1/agents/spare", expect=404)["error"] == "not_found"
