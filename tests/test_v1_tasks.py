"""Seed 004 tasks: cards on the team board, their status as their column, and the review gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api
from tests.v1_helpers import agent_key, make_workspace


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    workspace = make_workspace(api, repo)
    return agent_key(api, workspace["id"])


def test_create_task_defaults_and_shape(builder: Api) -> None:
    task = builder.post("/api/v1/tasks", {"title": "Implement login page", "description": "OAuth flow",
                                          "labels": ["auth"], "story_points": 3}, expect=201)
    assert task["status"] == "todo" and task["priority"] == "p1" and task["owner"] == "builder"
    assert task["sprint"] == -1 and task["type"] == "feature" and task["labels"] == ["auth"]
    assert task["story_points"] == 3 and task["blocks"] == [] and task["review_verdict"] is None
    assert task["description"] == "OAuth flow"
    assert builder.get(f"/api/v1/tasks/{task['id']}")["title"] == "Implement login page"
    assert [t["id"] for t in builder.get("/api/v1/tasks")] == [task["id"]]


def test_filters_status_sprint_owner(builder: Api) -> None:
    a = builder.post("/api/v1/tasks", {"title": "A", "sprint": 1, "owner": "alice"}, expect=201)
    b = builder.post("/api/v1/tasks", {"title": "B", "status": "in_progress"}, expect=201)
    assert [t["id"] for t in builder.get("/api/v1/tasks?sprint=1")] == [a["id"]]
    assert [t["id"] for t in builder.get("/api/v1/tasks?sprint=-1")] == [b["id"]]
    assert [t["id"] for t in builder.get("/api/v1/tasks?owner=alice")] == [a["id"]]
    assert [t["id"] for t in builder.get("/api/v1/tasks?status=in_progress")] == [b["id"]]
    error = builder.get("/api/v1/tasks?status=nope", expect=400)
    assert error["error"] == "validation_error" and "status" in error["message"]


def test_priority_maps_to_stored_priority(api: Api, builder: Api) -> None:
    task = builder.post("/api/v1/tasks", {"title": "Urgent", "priority": "p0"}, expect=201)
    card = api.get(f"/api/cards/{task['id']}")
    assert card["priority"] == "urgent"
    builder.patch(f"/api/v1/tasks/{task['id']}", {"priority": "p3"})
    assert api.get(f"/api/cards/{task['id']}")["priority"] == "low"
    assert builder.post("/api/v1/tasks", {"title": "x", "priority": "p9"}, expect=400)["error"] == "validation_error"


def test_status_is_the_column_both_ways(api: Api, builder: Api) -> None:
    task = builder.post("/api/v1/tasks", {"title": "Move me"}, expect=201)
    builder.patch(f"/api/v1/tasks/{task['id']}", {"status": "blocked", "commits": "abc1234,def5678"})
    card = api.get(f"/api/cards/{task['id']}")
    columns = {c["id"]: c["name"] for c in api.get(f"/api/projects/{card['projectId']}/columns")
               if c["boardId"] == card["boardId"]}
    assert columns[card["columnId"]] == "Blocked"
    done = next(cid for cid, name in columns.items() if name == "Done")
    api.patch(f"/api/projects/{card['projectId']}/cards/{task['id']}/move", {"columnId": done})
    again = builder.get(f"/api/v1/tasks/{task['id']}")
    assert again["status"] == "done" and again["commits"] == ["abc1234", "def5678"]


def test_soft_delete_hides_task(builder: Api) -> None:
    task = builder.post("/api/v1/tasks", {"title": "Gone"}, expect=201)
    assert builder.delete(f"/api/v1/tasks/{task['id']}", expect=200)["ok"] is True
    assert builder.get("/api/v1/tasks") == []
    assert builder.get(f"/api/v1/tasks/{task['id']}", expect=404)["error"] == "not_found"


def test_missing_title_is_a_clear_400(builder: Api) -> None:
    error = builder.post("/api/v1/tasks", {"description": "no title"}, expect=400)
    assert error == {"error": "validation_error", "message": "title: required"}


def _in_review(builder: Api, **fields: Any) -> dict[str, Any]:
    task = builder.post("/api/v1/tasks", {"title": "Parent", **fields}, expect=201)
    builder.patch(f"/api/v1/tasks/{task['id']}", {"status": "in_progress"})
    builder.post(f"/api/v1/tasks/{task['id']}/review-report", {"summary": "Done it", "commits": "aaa111"})
    assert builder.get(f"/api/v1/tasks/{task['id']}")["status"] == "review"
    return task


def test_approve_unblocks_children(builder: Api) -> None:
    parent = _in_review(builder)
    child = builder.post("/api/v1/tasks", {"title": "Child", "status": "blocked", "blocked_by": [parent["id"]]},
                         expect=201)
    result = builder.post(f"/api/v1/tasks/{parent['id']}/review-action", {"action": "approve"})
    assert result == {"ok": True, "status": "done", "unblocked_children": [{"id": child["id"], "title": "Child"}]}
    assert builder.get(f"/api/v1/tasks/{child['id']}")["status"] == "todo"
    done = builder.get(f"/api/v1/tasks/{parent['id']}")
    assert done["status"] == "done" and done["review_verdict"] == "approved"
    assert done["review_report"]["summary"] == "Done it" and done["commits"] == ["aaa111"]


def test_fix_makes_a_sub_task(builder: Api) -> None:
    parent = _in_review(builder, owner="alice")
    result = builder.post(f"/api/v1/tasks/{parent['id']}/review-action",
                          {"action": "fix", "fix_description": "Tests fail on CI"})
    assert result["ok"] is True and result["status"] == "review"
    assert result["fix_task"]["title"] == "Fix: Parent"
    fix = builder.get(f"/api/v1/tasks/{result['fix_task']['id']}")
    assert fix["parent_task"] == parent["id"] and fix["owner"] == "alice" and fix["description"] == "Tests fail on CI"
    assert builder.get(f"/api/v1/tasks/{parent['id']}")["status"] == "review"


def test_reject_goes_back_with_reason(builder: Api) -> None:
    task = _in_review(builder)
    builder.post(f"/api/v1/tasks/{task['id']}/reject", {"reason": "Tests are failing"})
    again = builder.get(f"/api/v1/tasks/{task['id']}")
    assert again["status"] == "in_progress" and again["review_verdict"] == "rejected"
    assert again["review_comment"] == "Tests are failing"
    assert builder.post(f"/api/v1/tasks/{task['id']}/approve", expect=409)["error"] == "invalid_status"
    assert builder.post(f"/api/v1/tasks/{task['id']}/reject", {}, expect=400)["error"] == "validation_error"


def test_approve_endpoint(builder: Api) -> None:
    task = _in_review(builder)
    assert builder.post(f"/api/v1/tasks/{task['id']}/approve")["status"] == "done"
    assert builder.post(f"/api/v1/tasks/{task['id']}/review-action", {"action": "merge"}, expect=400)


def test_stories_group_tasks(builder: Api) -> None:
    story = builder.post("/api/v1/stories", {"title": "Checkout", "sprint": 1, "priority": "p2"}, expect=201)
    assert story["priority"] == "p2" and len(story["tasks"]) == 1 and story["tasks"][0]["owner"] == "builder"
    assert [s["id"] for s in builder.get("/api/v1/stories")] == [story["id"]]
    assert builder.get(f"/api/v1/stories/{story['id']}/tasks")[0]["story_id"] == story["id"]
    assert builder.patch(f"/api/v1/stories/{story['id']}", {"title": "Pay"})["title"] == "Pay"
    assert builder.delete(f"/api/v1/stories/{story['id']}", expect=200)["ok"] is True
    assert builder.get(f"/api/v1/stories/{story['id']}", expect=404)["error"] == "not_found"
