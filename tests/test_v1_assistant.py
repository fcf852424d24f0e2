"""Seed 004's assistant routes: fixed templates and suggestions; translate-task and
generate-sprint0 through the project assistant's model (a fake provider), or a clear 400 when no
credential is set."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential
from tests.v1_helpers import agent_key, make_workspace


def test_templates_and_suggestions(api: Api, repo: Path) -> None:
    builder = agent_key(api, make_workspace(api, repo)["id"])
    found = builder.get("/api/v1/assistant/templates")
    assert any(a["name"] == "builder" for a in found["agents"]) and found["projects"]
    suggested = builder.post("/api/v1/assistant/suggest-agents", {"projectType": "web-app"})
    assert suggested["agents"] == ["manager", "builder", "designer"]
    assert [d["name"] for d in suggested["details"]] == ["manager", "builder", "designer"]
    assert builder.post("/api/v1/assistant/suggest-agents", {})["agents"] == ["manager", "builder"]


def test_model_routes_need_a_credential(api: Api, repo: Path) -> None:
    builder = agent_key(api, make_workspace(api, repo)["id"])
    refused = builder.post("/api/v1/assistant/translate-task", {"instruction": "Add dark mode"}, expect=400)
    assert refused["error"] == "assistant_not_configured" and "credential" in refused["message"]
    assert builder.post("/api/v1/assistant/generate-sprint0", {"projectName": "App"},
                        expect=400)["error"] == "assistant_not_configured"
    assert builder.get("/api/v1/tasks") == []
    assert builder.post("/api/v1/assistant/translate-task", {}, expect=400)["error"] == "validation_error"


def test_translate_and_generate_through_the_model(api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    builder = agent_key(api, workspace)
    builder.post("/api/v1/agents", {"name": "builder"}, expect=201)
    task = {"title": "Dark mode", "description": "Add a dark theme", "type": "feature", "owner": "builder",
            "priority": "p2"}
    sprint0 = {"tasks": [{"title": "Set up CI", "description": "GitHub Actions", "owner": "builder",
                          "priority": "p0"},
                         {"title": "Write README", "description": "", "owner": "nobody", "priority": "pX"}]}
    script = [[{"text": "```json\n" + json.dumps(task) + "\n```"}], [{"text": json.dumps(sprint0)}]]
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{workspace}/credential", {"credentialId": credential(api, "anthropic", url)})
        translated = builder.post("/api/v1/assistant/translate-task", {"instruction": "Add dark mode please"})
        made = builder.post("/api/v1/assistant/generate-sprint0", {"projectName": "App",
                                                                   "selectedAgents": ["builder"]}, expect=201)
    assert translated == {"task": task}
    assert "Add dark mode please" in json.dumps(server.requests[0]["body"])
    assert [(t["title"], t["owner"], t["priority"]) for t in made["tasks"]] == [
        ("Set up CI", "builder", "p0"), ("Write README", "builder", "p1")]
    assert made["agents"] == ["builder"]
    assert {t["title"] for t in builder.get("/api/v1/tasks?sprint=0")} == {"Set up CI", "Write README"}
    assert [s["number"] for s in builder.get("/api/v1/sprints")] == [0]
