"""Seed 004's architecture decisions (numbered per workspace, prompt text), messages, failures
(reported and recorded on rejection), progress reports and stall checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.v1_helpers import agent_key, make_workspace

ADR = {"title": "Use SQLite", "context": "One file", "decision": "SQLite everywhere", "rationale": "Simple"}


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    return agent_key(api, make_workspace(api, repo)["id"])


def test_adr_numbers_crud_and_prompt(builder: Api) -> None:
    first = builder.post("/api/v1/adr", {**ADR, "status": "accepted"}, expect=201)
    second = builder.post("/api/v1/adr", {**ADR, "title": "Add Redis", "decision": "Redis cache"}, expect=201)
    third = builder.post("/api/v1/adr", {**ADR, "title": "Old idea", "decision": "XML", "status": "deprecated"},
                         expect=201)
    assert [first["number"], second["number"], third["number"]] == [1, 2, 3]
    listed = builder.get("/api/v1/adr")
    assert [a["number"] for a in listed] == [3, 2, 1] and listed[2]["author"] == "builder"
    assert listed[1]["status"] == "proposed"
    prompt = builder.get("/api/v1/adr/prompt")["prompt"]
    assert prompt.startswith("\n### Architecture Decisions (ADR)\n")
    assert "SQLite everywhere" in prompt and "Redis cache" in prompt and "XML" not in prompt
    changed = builder.patch(f"/api/v1/adr/{first['id']}", {"status": "superseded", "superseded_by": second["id"]})
    assert changed["status"] == "superseded" and changed["superseded_by"] == second["id"]
    assert builder.get(f"/api/v1/adr/{first['id']}")["title"] == "Use SQLite"
    assert builder.patch(f"/api/v1/adr/{first['id']}", {"superseded_by": "adr_nope"}, expect=404)["error"] == "not_found"
    assert builder.patch(f"/api/v1/adr/{first['id']}", {"status": "maybe"}, expect=400)["error"] == "validation_error"
    assert builder.patch(f"/api/v1/adr/{first['id']}", {"title": " "}, expect=400)["error"] == "validation_error"
    assert builder.delete(f"/api/v1/adr/{third['id']}", expect=200)["ok"] is True
    assert builder.get(f"/api/v1/adr/{third['id']}", expect=404)["error"] == "not_found"
    assert builder.post("/api/v1/adr", {**ADR, "number": 1}, expect=201)["number"] == 4  # never reused
    missing = builder.post("/api/v1/adr", {"title": "x", "context": "c", "decision": "d", "rationale": ""},
                           expect=400)
    assert "rationale" in missing["message"]
    assert builder.post("/api/v1/adr", {"title": "x"}, expect=400)["error"] == "validation_error"


def test_adrs_are_per_workspace(api: Api, builder: Api, make_repo: Any) -> None:
    made = builder.post("/api/v1/adr", ADR, expect=201)
    other = agent_key(api, make_workspace(api, make_repo("other"), "Other")["id"])
    assert other.get("/api/v1/adr") == [] and other.get("/api/v1/adr/prompt")["prompt"] == ""
    assert other.get(f"/api/v1/adr/{made['id']}", expect=404)["error"] == "not_found"
    assert other.delete(f"/api/v1/adr/{made['id']}", expect=404)["error"] == "not_found"
    assert other.post("/api/v1/adr", ADR, expect=201)["number"] == 1


def test_messages(builder: Api) -> None:
    builder.post("/api/v1/messages", {"from": "user", "to": "manager", "content": "Prioritise login"}, expect=201)
    team_wide = builder.post("/api/v1/messages", {"from": "manager", "content": "Standup at 10"}, expect=201)
    assert team_wide["to"] == "team" and team_wide["from"] == "manager"
    mine = builder.post("/api/v1/messages", {"to": "manager", "content": "Done"}, expect=201)
    assert mine["from"] == "builder"
    assert [m["content"] for m in builder.get("/api/v1/messages")] == ["Prioritise login", "Standup at 10", "Done"]
    assert [m["content"] for m in builder.get("/api/v1/messages?mode=team")] == ["Standup at 10"]
    assert len(builder.get("/api/v1/messages?channel=manager")) == 3
    assert [m["content"] for m in builder.get("/api/v1/messages?channel=user")] == ["Prioritise login"]
    assert builder.post("/api/v1/messages", {"content": " "}, expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/messages", {"to": "x"}, expect=400)["error"] == "validation_error"
    found = builder.get("/api/v1/search?q=login")
    assert [m["content"] for m in found["messages"]] == ["Prioritise login"]


def test_failures_reported_and_recorded_on_rejection(builder: Api) -> None:
    made = builder.post("/api/v1/failures", {"summary": "npm test failed", "failure_type": "test_failed"},
                        expect=201)
    assert made["agent_name"] == "builder" and made["failure_type"] == "test_failed"
    assert builder.post("/api/v1/failures", {"summary": "x", "failure_type": "weird"},
                        expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/failures", {}, expect=400)["error"] == "validation_error"
    task = builder.post("/api/v1/tasks", {"title": "Login", "owner": "builder", "status": "review"}, expect=201)
    builder.post(f"/api/v1/tasks/{task['id']}/reject", {"reason": "no tests"})
    listed = builder.get("/api/v1/failures")
    assert listed[0]["failure_type"] == "review_rejected" and listed[0]["task_id"] == task["id"]
    assert "no tests" in listed[0]["summary"] and listed[0]["agent_name"] == "builder"
    relevant = builder.get("/api/v1/failures/relevant?limit=1")
    assert relevant == [{"summary": listed[0]["summary"], "failure_type": "review_rejected",
                         "agent_name": "builder", "created_at": listed[0]["created_at"]}]
    assert len(builder.get("/api/v1/failures/relevant")) == 2
    assert builder.get("/api/v1/failures/relevant?limit=0", expect=400)["error"] == "validation_error"


def test_progress_reports(builder: Api) -> None:
    for step in range(22):
        builder.post("/api/v1/agents/progress", {"agent_name": "builder", "task_name": "Login",
                                                 "step": f"step {step}"}, expect=201)
    builder.post("/api/v1/agents/progress", {"agent_name": "qa", "step": "reviewing", "file": "a.py"}, expect=201)
    mine = builder.get("/api/v1/agents/builder/progress")
    assert len(mine) == 20 and mine[0]["step"] == "step 21" and mine[0]["task_name"] == "Login"
    latest = builder.get("/api/v1/agents/progress/latest")
    assert [(p["agent_name"], p["step"]) for p in latest] == [("builder", "step 21"), ("qa", "reviewing")]
    assert builder.delete("/api/v1/agents/progress/purge", expect=200) == {"ok": True, "deleted": 0}
    assert builder.get("/api/v1/agents")[0]["last_seen_at"]


def test_purge_and_stalls_use_the_heartbeats(app: Any, builder: Api) -> None:
    from models import TeamAgent, TeamProgress, utcnow

    builder.post("/api/v1/agents/progress", {"agent_name": "builder", "step": "old"}, expect=201)
    builder.put("/api/v1/agents", {"name": "builder", "status": "active"})
    builder.put("/api/v1/agents", {"name": "idler", "status": "idle"})
    builder.put("/api/v1/agents", {"name": "fresh", "status": "working"})
    assert builder.post("/api/v1/agents/check-stalls") == {"stalled": [], "count": 0}
    with app.extensions["switchyard"].transaction() as db:  # an hour and a day pass for two of them
        for row in db.query(TeamProgress).all():
            row.created_at = utcnow() - timedelta(hours=25)
        for agent in db.query(TeamAgent).filter(TeamAgent.name.in_(["builder", "idler"])).all():
            agent.last_seen_at = utcnow() - timedelta(hours=1)
    stalls = builder.post("/api/v1/agents/check-stalls")
    assert [s["name"] for s in stalls["stalled"]] == ["builder"] and stalls["count"] == 1
    assert {a["name"]: a["status"] for a in builder.get("/api/v1/agents")}["builder"] == "stalled"
    assert builder.delete("/api/v1/agents/progress/purge", expect=200)["deleted"] == 1
    assert builder.get("/api/v1/agents/builder/progress") == []
