"""Seed 004's sprints: creation, the phase flow with invalid transitions refused, current/start,
current/tasks, review, retrospectives, and the analytics (burndown, velocity, daily)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.v1_helpers import agent_key, make_workspace


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    return agent_key(api, make_workspace(api, repo)["id"])


def test_create_list_ascending_and_current(builder: Api) -> None:
    assert builder.get("/api/v1/sprints/current", expect=404)["error"] == "no_active_sprint"
    builder.post("/api/v1/sprints", {"number": 2, "status": "planning"}, expect=201)
    one = builder.post("/api/v1/sprints", {"number": 1, "goal": "Login works", "deadline": "2026-12-01"}, expect=201)
    assert one["status"] == "active" and one["goal"] == "Login works" and one["deadline"] == "2026-12-01"
    assert one["retro_summary"] is None
    assert [s["number"] for s in builder.get("/api/v1/sprints")] == [1, 2]
    assert builder.get("/api/v1/sprints/current")["number"] == 1
    assert builder.post("/api/v1/sprints", {"number": 1}, expect=409)["error"] == "sprint_exists"
    assert builder.post("/api/v1/sprints", {"number": -3}, expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/sprints", {"status": "review"}, expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/sprints", {}, expect=201)["number"] == 3


def test_sprint_through_all_states_with_invalid_transitions_refused(builder: Api) -> None:
    builder.post("/api/v1/sprints", {"number": 1, "status": "planning"}, expect=201)

    def move(status: str, expect: int = 200) -> dict:
        return builder.patch("/api/v1/sprints/1", {"status": status}, expect=expect)

    assert move("review", 400)["error"] == "transition_not_allowed"
    assert move("active")["started_at"]
    assert move("completed", 400)["error"] == "transition_not_allowed"
    assert move("review")["status"] == "review"
    assert move("active")["status"] == "active"  # reopened
    move("review")
    assert move("planning", 400)["error"] == "transition_not_allowed"
    assert move("retrospective")["status"] == "retrospective"
    assert move("active", 400)["error"] == "transition_not_allowed"
    done = builder.patch("/api/v1/sprints/1", {"status": "completed", "retro_summary": "Went fine"})
    assert done["status"] == "completed" and done["completed_at"] and done["retro_summary"] == "Went fine"
    assert move("active", 400)["error"] == "transition_not_allowed"
    assert move("sleeping", 400)["error"] == "validation_error"
    assert builder.patch("/api/v1/sprints/9", {"goal": "x"}, expect=404)["error"] == "not_found"


def test_start_current_marks_local_owners_starting(api: Api, builder: Api) -> None:
    assert builder.post("/api/v1/sprints/current/start", expect=404)["error"] == "no_active_sprint"
    builder.post("/api/v1/sprints", {"number": 1, "status": "planning"}, expect=201)
    builder.post("/api/v1/tasks", {"title": "Build login", "owner": "builder", "sprint": 1}, expect=201)
    builder.post("/api/v1/tasks", {"title": "Cloud work", "owner": "cloud", "sprint": 1}, expect=201)
    builder.post("/api/v1/tasks", {"title": "Later", "owner": "other"}, expect=201)
    builder.put("/api/v1/agents/cloud/config", {"execution_mode": "byok", "engine": "claude-api"})
    started = builder.post("/api/v1/sprints/current/start")
    assert started["sprint"]["status"] == "active" and started["sprint"]["number"] == 1
    assert started["agents"] == [{"name": "builder", "status": "starting", "engine": "claude-code",
                                  "execution_mode": "local"}]
    assert [a["name"] for a in started["skippedAgents"]] == ["cloud"]
    assert {t["title"] for t in started["tasks"]} == {"Build login", "Cloud work"}
    current = builder.get("/api/v1/sprints/current/tasks")
    assert current["sprint"]["number"] == 1 and len(current["tasks"]) == 2
    assert {"agents", "sprints", "progress", "repositories"} <= set(current)
    assert builder.get("/api/v1/sprints/current/tasks?sprint=7", expect=404)["error"] == "not_found"


def test_review_retro_and_analytics(builder: Api) -> None:
    builder.post("/api/v1/sprints", {"number": 1}, expect=201)
    first = builder.post("/api/v1/tasks", {"title": "Login page", "owner": "builder", "sprint": 1,
                                           "story_points": 3, "priority": "p0", "status": "review"}, expect=201)
    builder.post("/api/v1/tasks", {"title": "Fix crash", "owner": "qa", "sprint": 1, "story_points": 2},
                 expect=201)
    builder.post(f"/api/v1/tasks/{first['id']}/approve")
    analytics = builder.get("/api/v1/sprints/1/analytics")
    assert analytics["summary"]["total"] == 2 and analytics["summary"]["done"] == 1
    assert analytics["summary"]["completion_rate"] == 50
    assert analytics["summary"]["total_points"] == 5 and analytics["summary"]["done_points"] == 3
    assert analytics["by_agent"]["builder"] == {"total": 1, "done": 1, "points": 3}
    assert analytics["by_type"] == {"feature": 1, "bug": 1} and analytics["by_priority"] == {"p0": 1, "p1": 1}
    today = datetime.now(UTC).date().isoformat()
    assert analytics["burndown"][-1] == {"date": today, "remaining": 1}
    review = builder.get("/api/v1/sprints/1/review")
    assert review["summary"]["done"] == 1 and set(review["tasks_by_owner"]) == {"builder", "qa"}

    comment = builder.post("/api/v1/sprints/1/retro", {
        "agent_name": "builder", "went_well": "Fast auth", "to_improve": "Tests",
        "suggested_tasks": [{"title": "Add e2e tests", "priority": "p1"}]}, expect=201)
    assert comment["went_well"] == "Fast auth" and comment["created_tasks"][0]["sprint"] == -1
    assert builder.post("/api/v1/sprints/1/retro", {}, expect=400)["error"] == "validation_error"
    assert builder.post("/api/v1/sprints/4/retro", {"went_well": "x"}, expect=404)["error"] == "not_found"
    retro = builder.get("/api/v1/sprints/1/retro")
    assert [c["agent_name"] for c in retro["comments"]] == ["builder"]
    assert builder.get("/api/v1/sprints/1/review")["retro"][0]["to_improve"] == "Tests"
    assert any(t["title"] == "Add e2e tests" for t in builder.get("/api/v1/tasks?sprint=-1"))

    velocity = builder.get("/api/v1/analytics/velocity")["velocity"]
    assert velocity == [{"sprint": 1, "status": "active", "total": 2, "done": 1, "total_points": 5,
                         "done_points": 3}]
    daily = builder.get("/api/v1/analytics/daily")
    assert daily["date"] == today and daily["scorecard"]["tasks_done"] == 1 and daily["scorecard"]["points"] == 3
    assert len(daily["hourly"]) == 24 and daily["cumulative"][-1]["daily"] == 1
    assert [t["title"] for t in daily["tasks"]] == ["Login page"]
    assert builder.get("/api/v1/analytics/daily?date=yesterday", expect=400)["error"] == "validation_error"
    assert builder.get("/api/v1/sprints/5/analytics", expect=404)["error"] == "not_found"


def test_setup_makes_sprint_zero(api: Api, builder: Api) -> None:
    setup = builder.post("/api/v1/projects/setup", {}, expect=201)
    assert setup["sprint"]["number"] == 0 and setup["sprint"]["status"] == "active"
    assert [s["number"] for s in builder.get("/api/v1/sprints")] == [0]


def test_sprints_are_per_workspace(api: Api, builder: Api, make_repo) -> None:  # type: ignore[no-untyped-def]
    builder.post("/api/v1/sprints", {"number": 1}, expect=201)
    other = agent_key(api, make_workspace(api, make_repo("other"), "Other")["id"])
    assert other.get("/api/v1/sprints") == []
    assert other.post("/api/v1/sprints", {"number": 1}, expect=201)["number"] == 1
    assert other.patch("/api/v1/sprints/1", {"status": "review"})["status"] == "review"
    assert builder.get("/api/v1/sprints/current")["status"] == "active"
