"""Seed 004's agent memories: upsert with optimistic locking, shared/tags, expiry, search,
revalidate, delete, isolation between workspaces, and the memories reaching the agent's prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Api
from tests.v1_helpers import agent_key, make_workspace


@pytest.fixture
def builder(api: Api, repo: Path) -> Api:
    return agent_key(api, make_workspace(api, repo)["id"])


def put_memory(client: Api, agent: str, key: str, expect: int = 201, **fields: object) -> dict:
    return client.put(f"/api/v1/agents/{agent}/memories/{key}", {"type": "project", **fields}, expect=expect)


def test_upsert_creates_then_updates_with_version(builder: Api) -> None:
    made = put_memory(builder, "builder", "framework", content="Use Flask")
    assert made["version"] == 1 and made["agent_name"] == "builder" and made["type"] == "project"
    updated = put_memory(builder, "builder", "framework", expect=200, content="Use Flask 3", version=1)
    assert updated["id"] == made["id"] and updated["version"] == 2 and updated["content"] == "Use Flask 3"
    stale = put_memory(builder, "builder", "framework", expect=409, content="Use Django", version=1)
    assert stale["error"] == "version_conflict" and "version 2" in stale["message"]
    listed = builder.get("/api/v1/agents/builder/memories")
    assert listed["count"] == 1 and listed["memories"][0]["content"] == "Use Flask 3"


def test_validation_errors(builder: Api) -> None:
    assert builder.put("/api/v1/agents/builder/memories/k", {"content": "x"}, expect=400)["error"] == "validation_error"
    long = builder.put("/api/v1/agents/builder/memories/k", {"content": "x" * 2001, "type": "project"}, expect=400)
    assert long["error"] == "validation_error" and "content" in long["message"]
    assert builder.put("/api/v1/agents/builder/memories/k", {"content": "x", "type": "gossip"},
                       expect=400)["error"] == "validation_error"
    assert builder.get("/api/v1/agents/memories/search", expect=400)["message"].startswith("q")
    assert builder.get("/api/v1/agents/memories?type=gossip", expect=400)["error"] == "validation_error"


def test_list_filters_shared_tags_and_search(builder: Api) -> None:
    put_memory(builder, "builder", "style", content="Prefer small functions", shared=True, tags=["code", "style"])
    put_memory(builder, "builder", "db", content="SQLite in tests", shared=True, tags=["code"])
    put_memory(builder, "reviewer", "voice", content="Be kind", type="identity")
    assert builder.get("/api/v1/agents/memories")["count"] == 3
    assert [m["key"] for m in builder.get("/api/v1/agents/memories?agent=reviewer")["memories"]] == ["voice"]
    assert [m["key"] for m in builder.get("/api/v1/agents/memories?type=identity")["memories"]] == ["voice"]
    assert {m["key"] for m in builder.get("/api/v1/agents/memories/shared")["memories"]} == {"style", "db"}
    assert [m["key"] for m in builder.get("/api/v1/agents/memories/shared?tags=style")["memories"]] == ["style"]
    assert builder.get("/api/v1/agents/memories/shared?tags=code&limit=1")["count"] == 1
    found = builder.get("/api/v1/agents/memories/search?q=sqlite")
    assert found["count"] == 1 and found["memories"][0]["key"] == "db"
    assert builder.get("/api/v1/agents/memories/search?q=kind&agent=builder")["count"] == 0


def test_expired_and_revalidate(builder: Api, app) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from models import TeamMemory, utcnow

    made = put_memory(builder, "builder", "old", content="stale fact", expires_days=1)
    put_memory(builder, "builder", "forever", content="no expiry")
    assert builder.get("/api/v1/agents/memories/expired")["count"] == 0
    runtime = app.extensions["switchyard"]
    with runtime.transaction() as db:  # a memory last validated two days ago
        db.get(TeamMemory, made["id"]).last_validated_at = utcnow() - timedelta(days=2)
    expired = builder.get("/api/v1/agents/memories/expired")
    assert [m["key"] for m in expired["memories"]] == ["old"] and expired["memories"][0]["expired"]
    fresh = builder.post(f"/api/v1/agents/memories/{made['id']}/revalidate")
    assert fresh["expired"] is False and fresh["last_validated_at"] > made["last_validated_at"]
    assert builder.get("/api/v1/agents/memories/expired")["count"] == 0
    assert builder.post("/api/v1/agents/memories/mem_nope/revalidate", expect=404)["error"] == "not_found"


def test_delete(builder: Api) -> None:
    put_memory(builder, "builder", "gone", content="x")
    assert builder.delete("/api/v1/agents/builder/memories/gone", expect=200)["ok"] is True
    assert builder.delete("/api/v1/agents/builder/memories/gone", expect=404)["error"] == "not_found"
    assert builder.get("/api/v1/agents/builder/memories")["count"] == 0


def test_workspaces_never_see_each_others_memories(api: Api, builder: Api, make_repo) -> None:  # type: ignore[no-untyped-def]
    put_memory(builder, "builder", "secret", content="only here", shared=True)
    other = agent_key(api, make_workspace(api, make_repo("other"), "Other")["id"])
    assert other.get("/api/v1/agents/memories")["count"] == 0
    assert other.get("/api/v1/agents/memories/shared")["count"] == 0
    assert other.get("/api/v1/agents/memories/search?q=only")["count"] == 0
    made = put_memory(other, "builder", "secret", content="theirs")
    assert made["version"] == 1  # the same agent+key in another workspace is another memory
    mine = builder.get("/api/v1/agents/memories")["memories"]
    assert other.post(f"/api/v1/agents/memories/{mine[0]['id']}/revalidate", expect=404)["error"] == "not_found"


def test_memories_and_accepted_adrs_reach_the_prompt(builder: Api) -> None:
    builder.post("/api/v1/agents", {"name": "qa"}, expect=201)
    put_memory(builder, "builder", "mine", content="Run ruff before committing")
    put_memory(builder, "qa", "team-rule", content="Every change has a test", shared=True)
    put_memory(builder, "qa", "private", content="qa only note")
    builder.post("/api/v1/adr", {"title": "Use SQLite", "context": "c", "decision": "SQLite for storage",
                                 "rationale": "r", "status": "accepted"}, expect=201)
    builder.post("/api/v1/adr", {"title": "Maybe Redis", "context": "c", "decision": "Redis cache",
                                 "rationale": "r"}, expect=201)
    preview = builder.get("/api/v1/agents/builder/prompt-preview")
    prompt = preview["prompt"]
    assert "Run ruff before committing" in prompt and "Every change has a test" in prompt
    assert "qa only note" not in prompt and "SQLite for storage" in prompt and "Redis cache" not in prompt
    assert preview["mode"] == "compact" and preview["length"] == len(prompt)
    assert preview["token_estimate"] == (len(prompt) + 3) // 4
    context = builder.get("/api/v1/agents/builder/context")
    assert context["context"] == prompt and set(context["parts"]) == {"memories", "decisions"}
    task = builder.post("/api/v1/tasks", {"title": "Add login", "owner": "builder"}, expect=201)
    full = builder.get("/api/v1/agents/builder/prompt-preview?mode=full")["prompt"]
    assert prompt in full and "Add login" in full
    card = builder.get(f"/api/v1/tasks/{task['id']}")
    assert card["owner"] == "builder"
    assert builder.get("/api/v1/agents/builder/prompt-preview?mode=huge", expect=400)["error"] == "validation_error"
    assert builder.get("/api/v1/agents/ghost/prompt-preview", expect=404)["error"] == "not_found"
    docs = builder.get("/api/v1/agents/builder/api-docs")
    assert "/agents/progress" in docs["docs"] and docs["agent_name"] == "builder"


def test_viewers_read_but_do_not_write(app, api: Api, repo: Path, users) -> None:  # type: ignore[no-untyped-def]
    from models import ProjectMember

    root = users.setup_admin()
    users.enable_auth(root)
    owner = api.as_user(root)
    workspace = make_workspace(owner, repo)["id"]
    owner.put("/api/v1/agents/builder/memories/k", {"content": "x", "type": "project"},
              headers={"X-Workspace-Id": workspace}, expect=201)
    token, user_id = users.register("viewer@example.com")
    with app.extensions["switchyard"].transaction() as db:
        db.add(ProjectMember(project_id=workspace, user_id=user_id, role="viewer"))
    viewer, where = api.as_user(token), {"X-Workspace-Id": workspace}
    assert viewer.get("/api/v1/agents/memories", headers=where)["count"] == 1
    for method, path, body in (("PUT", "/api/v1/agents/builder/memories/k", {"content": "y", "type": "project"}),
                               ("POST", "/api/v1/adr", {"title": "t", "context": "c", "decision": "d",
                                                        "rationale": "r"}),
                               ("POST", "/api/v1/sprints", {"number": 1}),
                               ("POST", "/api/v1/messages", {"content": "hi"}),
                               ("POST", "/api/v1/agents/progress", {"agent_name": "builder"})):
        refused = viewer.call(method, path, 403, json=body, headers=dict(where))
        assert refused["error"] == "forbidden"
