"""/api/ext/v1 turns (seed 000): batch upsert, idempotence, watermarks, pages; and Switchyard's own
sessions' turns beside the pushed ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, first_board, lanes_by_name, make_key
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def turn(source_id: str, at: str, source: str = "copilot", role: str = "user", **extra: Any) -> dict[str, Any]:
    return {"source": source, "sourceId": source_id, "role": role, "content": f"turn {source_id}",
            "capturedAt": at, **extra}


@pytest.fixture
def turns_path(api: Api, client: Any, project: dict[str, Any]) -> tuple[KeyClient, str]:
    ext = KeyClient(client, make_key(api, allBoards=True)["key"])
    board = first_board(api, project)
    task = ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "Fix login"}, expect=201)["data"]
    return ext, f"{EXT}/boards/{board['id']}/tasks/{task['id']}/turns"


def test_a_batch_is_stored_once_however_often_it_is_sent(turns_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = turns_path
    batch = {"turns": [turn("abc123", "2025-06-20T10:30:00Z"),
                       turn("def456", "2025-06-20T10:30:05Z", role="assistant")]}
    first = ext.post(base, batch, expect=201)
    assert first == {"data": {"inserted": 2},
                     "watermarks": {"copilot": {"sourceId": "def456", "capturedAt": "2025-06-20T10:30:05.000Z"}}}
    again = ext.post(base, batch, expect=201)
    assert again["data"] == {"inserted": 0} and again["watermarks"] == first["watermarks"]

    mixed = {"turns": [turn("def456", "2025-06-20T10:30:05Z"), turn("ghi789", "2025-06-20T10:31:00Z"),
                       turn("ghi789", "2025-06-20T10:31:00Z")]}  # a duplicate inside the batch too
    assert ext.post(base, mixed, expect=201)["data"] == {"inserted": 1}
    listed = ext.get(base)
    assert [t["sourceId"] for t in listed["data"]] == ["abc123", "def456", "ghi789"]
    assert listed["cursor"] is None
    shown = listed["data"][0]
    assert {k: shown[k] for k in ("source", "sourceId", "role", "content", "toolUseOnly", "capturedAt")} == {
        "source": "copilot", "sourceId": "abc123", "role": "user", "content": "turn abc123",
        "toolUseOnly": False, "capturedAt": "2025-06-20T10:30:00.000Z"}
    assert shown["id"].startswith("turn_")


def test_watermarks_are_kept_per_source(turns_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = turns_path
    assert ext.get(f"{base}/watermark") == {"watermarks": {}}
    ext.post(base, {"turns": [turn("c1", "2025-06-20T10:00:00Z", source="claude-code"),
                              turn("p2", "2025-06-20T11:00:00Z"), turn("p1", "2025-06-20T09:00:00Z")]}, expect=201)
    ext.post(base, {"turns": [turn("x1", "2025-06-21T08:00:00+02:00", source="codex", toolUseOnly=True)]}, expect=201)
    assert ext.get(f"{base}/watermark") == {"watermarks": {
        "claude-code": {"sourceId": "c1", "capturedAt": "2025-06-20T10:00:00.000Z"},
        "codex": {"sourceId": "x1", "capturedAt": "2025-06-21T06:00:00.000Z"},
        "copilot": {"sourceId": "p2", "capturedAt": "2025-06-20T11:00:00.000Z"},
    }}
    only_copilot = ext.get(f"{base}?source=copilot")
    assert [t["sourceId"] for t in only_copilot["data"]] == ["p1", "p2"]
    assert list(only_copilot["watermarks"]) == ["copilot"]
    codex = ext.get(f"{base}?source=codex")["data"][0]
    assert codex["toolUseOnly"] is True


def test_turns_come_in_pages_after_a_time(turns_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = turns_path
    ext.post(base, {"turns": [turn(f"t{n:02d}", f"2025-06-20T10:{n:02d}:00Z") for n in range(7)]}, expect=201)
    seen, cursor = [], None
    while True:
        page = ext.get(f"{base}?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [t["sourceId"] for t in page["data"]]
        cursor = page["cursor"]
        if cursor is None:
            break
        assert len(page["data"]) == 3
    assert seen == [f"t{n:02d}" for n in range(7)]
    after = ext.get(f"{base}?limit=50&after=2025-06-20T10:04:00Z")
    assert [t["sourceId"] for t in after["data"]] == ["t05", "t06"]
    assert ext.error("GET", f"{base}?cursor=not-a-cursor", 400) == "validation_error"
    assert ext.error("GET", f"{base}?limit=0", 400) == "validation_error"


def test_bad_batches_are_refused_whole(turns_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = turns_path
    too_many = {"turns": [turn(str(n), "2025-06-20T10:00:00Z") for n in range(101)]}
    assert ext.error("POST", base, 400, too_many) == "validation_error"
    assert ext.error("POST", base, 400, {"turns": []}) == "validation_error"
    half_bad = {"turns": [turn("ok", "2025-06-20T10:00:00Z"), {"source": "copilot", "role": "user"}]}
    assert ext.error("POST", base, 400, half_bad) == "validation_error"
    reserved = {"turns": [turn("s", "2025-06-20T10:00:00Z", source="switchyard:anthropic")]}
    assert ext.error("POST", base, 400, reserved) == "validation_error"
    assert ext.error("POST", base, 400, {"turns": [turn("r", "2025-06-20T10:00:00Z", role="robot")]}) == "validation_error"
    assert ext.get(base)["data"] == []


def test_switchyard_sessions_turns_appear_beside_pushed_ones(app, api, client, project) -> None:  # type: ignore[no-untyped-def]
    ext = KeyClient(client, make_key(api, allBoards=True)["key"])
    board = first_board(api, project)
    lanes = lanes_by_name(ext, board["id"])
    script = [[{"text": "Looking."}, {"tool": "finish", "input": {"summary": "done"}}]]
    with fake_provider("anthropic", script) as (_server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        task = ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "Run me", "laneId": lanes["Backlog"]["id"]},
                        expect=201)["data"]
        base = f"{EXT}/boards/{board['id']}/tasks/{task['id']}"
        ext.post(f"{base}/turns", {"turns": [turn("u1", "2000-01-01T00:00:00Z")]}, expect=201)
        ext.post(f"{base}/move", {"laneId": lanes["Review"]["id"]})  # an active lane: the agent runs
        run_until_settled(app)
    listed = ext.get(f"{base}/turns")["data"]
    assert [t["source"] for t in listed] == ["copilot", "switchyard:anthropic"]
    own = listed[1]
    assert own["role"] == "assistant" and own["sessionId"].startswith("sess_") and own["inputTokens"] > 0
    assert set(ext.get(f"{base}/turns/watermark")["watermarks"]) == {"copilot", "switchyard:anthropic"}
    assert ext.get(base)["data"]["lastTurnAt"] == own["capturedAt"]
