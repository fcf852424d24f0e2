"""/api/ext/v1 boards, lanes and tasks (seed 000): shapes, codes, and the board rules underneath.

Boards are Switchyard boards, lanes its columns, tasks its cards: a task moved into an active lane
queues its agent like any card.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models import AgentSession
from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, first_board, lanes_by_name, make_key


@pytest.fixture
def board(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return first_board(api, project)


@pytest.fixture
def ext(api: Api, client: Any, project: dict[str, Any]) -> KeyClient:
    """An all-boards key whose default project is `project`."""
    return KeyClient(client, make_key(api, allBoards=True, defaultProjectId=project["id"])["key"])


# Boards ----------------------------------------------------------------------------------------


def test_boards_are_listed_created_shown_and_deleted(api, ext, project, board) -> None:  # type: ignore[no-untyped-def]
    assert ext.get(f"{EXT}/boards") == {"data": [{"id": board["id"], "name": board["name"], "permission": "edit"}]}

    made = ext.post(f"{EXT}/boards", {"name": "Sprint Board"}, expect=201)
    assert made == {"data": {"id": made["data"]["id"], "name": "Sprint Board"}}
    native = api.get(f"/api/projects/{project['id']}/boards")
    assert made["data"]["id"] in [b["id"] for b in native]  # in the key's default project

    detail = ext.get(f"{EXT}/boards/{made['data']['id']}")["data"]
    assert detail["id"] == made["data"]["id"] and detail["name"] == "Sprint Board"
    assert [(lane["name"], lane["taskCount"]) for lane in detail["lanes"]] == [
        ("Backlog", 0), ("In Progress", 0), ("Done", 0)]

    assert ext.delete(f"{EXT}/boards/{made['data']['id']}") is None
    assert ext.error("GET", f"{EXT}/boards/{made['data']['id']}", 404) == "not_found"


def test_a_board_made_by_a_scoped_key_is_the_keys_to_edit(api, client, project, board) -> None:  # type: ignore[no-untyped-def]
    scoped = KeyClient(client, make_key(api, boards=[{"boardId": board["id"], "permission": "edit"}])["key"])
    assert scoped.error("POST", f"{EXT}/boards", 400, {"name": "Nowhere"}) == "validation_error"  # no default project
    made = scoped.post(f"{EXT}/boards", {"name": "Mine", "projectId": project["id"]}, expect=201)["data"]
    assert {b["id"]: b["permission"] for b in scoped.get(f"{EXT}/boards")["data"]} == {
        board["id"]: "edit", made["id"]: "edit"}
    reader = KeyClient(client, make_key(api, boards=[{"boardId": board["id"], "permission": "read"}],
                                        defaultProjectId=project["id"])["key"])
    assert reader.error("POST", f"{EXT}/boards", 403, {"name": "Nope"}) == "forbidden"


def test_board_detail_counts_tasks_per_lane(ext, board) -> None:  # type: ignore[no-untyped-def]
    lanes = lanes_by_name(ext, board["id"])
    for title in ("a", "b"):
        ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": title, "laneId": lanes["Done"]["id"]}, expect=201)
    archived = ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "c", "laneId": lanes["Done"]["id"]}, expect=201)
    ext.patch(f"{EXT}/boards/{board['id']}/tasks/{archived['data']['id']}", {"archived": True})
    counts = {lane["name"]: lane["taskCount"] for lane in ext.get(f"{EXT}/boards/{board['id']}")["data"]["lanes"]}
    assert counts["Done"] == 2 and counts["Backlog"] == 0


# Lanes -----------------------------------------------------------------------------------------


def test_lanes_are_created_renamed_reordered_and_deleted(api, ext, project, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/lanes"
    names = [lane["name"] for lane in ext.get(base)["data"]]
    assert names == ["Backlog", "Plan", "Implement", "Review", "Done"]
    assert [lane["position"] for lane in ext.get(base)["data"]] == [0, 1, 2, 3, 4]

    review = ext.post(base, {"name": "In Review"}, expect=201)["data"]
    assert set(review) == {"id", "name"} and review["name"] == "In Review"
    runner = ext.post(base, {"name": "Agents", "type": "active"}, expect=201)["data"]
    native = {c["id"]: c for c in api.get(f"/api/projects/{project['id']}/columns")}
    assert native[review["id"]]["columnType"] == "backlog"  # a lane is a backlog column by default
    assert native[runner["id"]]["columnType"] == "active"

    assert ext.patch(f"{base}/{review['id']}", {"name": "Code Review"})["data"] == {
        "id": review["id"], "name": "Code Review"}
    moved = ext.patch(f"{base}/{review['id']}", {"position": 1})["data"]
    assert moved["position"] == 1
    assert [lane["name"] for lane in ext.get(base)["data"]] == [
        "Backlog", "Code Review", "Plan", "Implement", "Review", "Done", "Agents"]

    assert ext.delete(f"{base}/{review['id']}") is None
    assert ext.error("PATCH", f"{base}/{review['id']}", 404, {"name": "x"}) == "not_found"
    assert ext.error("POST", base, 400, {"name": "Bad", "type": "sideways"}) == "validation_error"
    assert ext.error("POST", base, 400, {}) == "validation_error"


def test_a_lane_with_tasks_is_not_deleted(ext, board) -> None:  # type: ignore[no-untyped-def]
    lanes = lanes_by_name(ext, board["id"])
    ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "keep me", "laneId": lanes["Backlog"]["id"]}, expect=201)
    assert ext.error("DELETE", f"{EXT}/boards/{board['id']}/lanes/{lanes['Backlog']['id']}", 409) == "column_not_empty"


# Tasks -----------------------------------------------------------------------------------------


def test_a_task_is_created_shown_updated_and_deleted(ext, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/tasks"
    lanes = lanes_by_name(ext, board["id"])
    made = ext.post(base, {"title": "Fix login bug", "laneId": lanes["Backlog"]["id"], "priority": 3,
                           "tags": ["bug"], "description": "The login form crashes"}, expect=201)["data"]
    assert made == {"id": made["id"], "title": "Fix login bug", "laneId": lanes["Backlog"]["id"]}

    detail = ext.get(f"{base}/{made['id']}")["data"]
    assert list(detail) == ["id", "shortId", "title", "description", "laneId", "priority", "tags", "archived",
                            "createdAt", "updatedAt", "lastTurnAt"]
    assert (detail["priority"], detail["tags"], detail["archived"], detail["lastTurnAt"]) == (3, ["bug"], False, None)
    assert detail["description"] == "The login form crashes" and len(detail["shortId"]) == 8
    assert detail["createdAt"].endswith("Z")

    updated = ext.patch(f"{base}/{made['id']}", {"title": "Updated title", "priority": 2})["data"]
    assert updated == {"id": made["id"], "title": "Updated title", "priority": 2}
    ext.patch(f"{base}/{made['id']}", {"tags": ["bug", "p1"], "description": "More", "archived": True})
    after = ext.get(f"{base}/{made['id']}")["data"]
    assert (after["tags"], after["description"], after["archived"]) == (["bug", "p1"], "More", True)

    assert ext.delete(f"{base}/{made['id']}") is None
    assert ext.error("GET", f"{base}/{made['id']}", 404) == "not_found"


def test_task_values_are_checked(ext, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/tasks"
    for body in ({"title": "x", "priority": 5}, {"title": "x", "priority": -1}, {"title": "x", "priority": "high"},
                 {"title": ""}, {}, {"title": "x", "tags": "bug"}, {"title": "x", "laneId": 7}):
        assert ext.error("POST", base, 400, body) == "validation_error", body
    assert ext.error("POST", base, 404, {"title": "x", "laneId": "col_nope"}) == "not_found"
    response = ext.client.post(base, data="{not json", content_type="application/json",
                               headers={"Authorization": f"Bearer {ext.key}"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_body"
    assert ext.get(base)["data"] == []  # nothing half-made


def test_tasks_are_filtered_by_lane_archive_and_short_id(ext, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/tasks"
    lanes = lanes_by_name(ext, board["id"])
    one = ext.post(base, {"title": "one", "laneId": lanes["Backlog"]["id"]}, expect=201)["data"]
    two = ext.post(base, {"title": "two", "laneId": lanes["Done"]["id"]}, expect=201)["data"]
    gone = ext.post(base, {"title": "old", "laneId": lanes["Done"]["id"], "archived": True}, expect=201)["data"]

    assert [t["title"] for t in ext.get(base)["data"]] == ["one", "two"]
    assert [t["title"] for t in ext.get(f"{base}?includeArchived=true")["data"]] == ["one", "two", "old"]
    assert [t["id"] for t in ext.get(f"{base}?laneId={lanes['Done']['id']}")["data"]] == [two["id"]]
    short = ext.get(f"{base}/{one['id']}")["data"]["shortId"]
    assert [t["id"] for t in ext.get(f"{base}?shortIdPrefix={short[:5].upper()}")["data"]] == [one["id"]]
    listed = ext.get(f"{base}?includeArchived=true")["data"][2]
    assert listed["id"] == gone["id"] and listed["archived"] is True
    assert set(listed) == {"id", "shortId", "title", "laneId", "priority", "tags", "archived", "createdAt",
                           "updatedAt"}
    assert ext.error("GET", f"{base}?laneId=col_nope", 404) == "not_found"


def test_a_task_moves_to_a_position_or_to_the_end_of_a_lane(ext, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/tasks"
    lanes = lanes_by_name(ext, board["id"])
    done = lanes["Done"]["id"]
    first, second, mover = (ext.post(base, {"title": t, "laneId": lanes["Backlog"]["id"]}, expect=201)["data"]
                            for t in ("first", "second", "mover"))
    ext.post(f"{base}/{first['id']}/move", {"laneId": done})
    ext.post(f"{base}/{second['id']}/move", {"laneId": done})
    assert ext.post(f"{base}/{mover['id']}/move", {"laneId": done, "position": 0})["data"] == {
        "id": mover["id"], "laneId": done, "position": 0}
    assert [t["title"] for t in ext.get(f"{base}?laneId={done}")["data"]] == ["mover", "first", "second"]
    back = ext.post(f"{base}/{mover['id']}/move", {"laneId": lanes["Backlog"]["id"]})["data"]
    assert back["position"] == 0  # the end of an empty lane
    assert ext.error("POST", f"{base}/{mover['id']}/move", 404, {"laneId": "col_nope"}) == "not_found"
    assert ext.error("POST", f"{base}/{mover['id']}/move", 400, {}) == "validation_error"


def test_a_task_moved_into_an_active_lane_queues_its_agent(app, ext, board) -> None:  # type: ignore[no-untyped-def]
    base = f"{EXT}/boards/{board['id']}/tasks"
    lanes = lanes_by_name(ext, board["id"])
    task = ext.post(base, {"title": "Implement it", "laneId": lanes["Backlog"]["id"]}, expect=201)["data"]
    with app.extensions["switchyard"].transaction() as db:
        assert db.scalar(select(AgentSession.id).where(AgentSession.card_id == task["id"])) is None
    ext.post(f"{base}/{task['id']}/move", {"laneId": lanes["Implement"]["id"]})
    with app.extensions["switchyard"].transaction() as db:
        queued = db.scalars(select(AgentSession).where(AgentSession.card_id == task["id"])).all()
        assert [(s.status, s.column_id) for s in queued] == [("queued", lanes["Implement"]["id"])]


def test_a_task_of_another_board_is_not_found_here(api, ext, project, board) -> None:  # type: ignore[no-untyped-def]
    other = ext.post(f"{EXT}/boards", {"name": "Other"}, expect=201)["data"]
    task = ext.post(f"{EXT}/boards/{other['id']}/tasks", {"title": "elsewhere"}, expect=201)["data"]
    assert ext.error("GET", f"{EXT}/boards/{board['id']}/tasks/{task['id']}", 404) == "not_found"
    lanes = lanes_by_name(ext, board["id"])
    assert ext.error("POST", f"{EXT}/boards/{other['id']}/tasks/{task['id']}/move", 404,
                     {"laneId": lanes["Done"]["id"]}) == "not_found"


# Who may do what ---------------------------------------------------------------------------------

ENDPOINTS = {  # name -> (method, path template, body, needs edit)
    "list boards": ("GET", "/boards", None, False),
    "board detail": ("GET", "/boards/{board}", None, False),
    "list tasks": ("GET", "/boards/{board}/tasks", None, False),
    "task detail": ("GET", "/boards/{board}/tasks/{task}", None, False),
    "list turns": ("GET", "/boards/{board}/tasks/{task}/turns", None, False),
    "create task": ("POST", "/boards/{board}/tasks", {"title": "x"}, True),
    "update task": ("PATCH", "/boards/{board}/tasks/{task}", {"title": "y"}, True),
    "move task": ("POST", "/boards/{board}/tasks/{task}/move", {"laneId": "{lane}"}, True),
    "create lane": ("POST", "/boards/{board}/lanes", {"name": "L"}, True),
    "add comment": ("POST", "/boards/{board}/tasks/{task}/comments", {"body": "hi"}, True),
    "push turns": ("POST", "/boards/{board}/tasks/{task}/turns",
                   {"turns": [{"source": "copilot", "sourceId": "1", "role": "user", "content": "hi"}]}, True),
    "delete board": ("DELETE", "/boards/{board}", None, True),
}
KEYS = ("no key", "bad key", "revoked key", "read key", "edit key", "other board's key")


def _expected(key: str, needs_edit: bool, endpoint: str) -> tuple[int, str | None]:
    if key == "no key":
        return 401, "missing_auth"
    if key in ("bad key", "revoked key"):
        return 401, "invalid_key"
    if key == "other board's key":
        return (200, None) if endpoint == "list boards" else (403, "forbidden")
    if key == "read key" and needs_edit:
        return 403, "forbidden"
    return 0, None  # allowed: any 2xx


@pytest.mark.parametrize("key", KEYS)
def test_permissions_matrix(api, client, project, board, key, subtests) -> None:  # type: ignore[no-untyped-def]
    """Each key against each endpoint (in ENDPOINTS' order: the board's deletion comes last)."""
    other = api.post(f"/api/projects/{project['id']}/boards", {"name": "Other"}, expect=201)
    keys = {
        "no key": None, "bad key": "ak_" + "x" * 43,
        "read key": make_key(api, boards=[{"boardId": board["id"], "permission": "read"}])["key"],
        "edit key": make_key(api, boards=[{"boardId": board["id"], "permission": "edit"}])["key"],
        "other board's key": make_key(api, boards=[{"boardId": other["id"], "permission": "edit"}])["key"],
    }
    revoked = make_key(api, allBoards=True)
    api.delete(f"/api/api-keys/{revoked['id']}")
    keys["revoked key"] = revoked["key"]
    admin = KeyClient(client, make_key(api, allBoards=True)["key"])
    lane = lanes_by_name(admin, board["id"])["Done"]["id"]
    task = admin.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "t"}, expect=201)["data"]["id"]
    ids = {"board": board["id"], "task": task, "lane": lane}
    headers = {"Authorization": f"Bearer {keys[key]}"} if keys[key] else {}

    for endpoint, (method, template, body, needs_edit) in ENDPOINTS.items():
        with subtests.test(msg=f"{key}: {endpoint}"):
            filled = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()} if body else None
            response = client.open(EXT + template.format(**ids), method=method, json=filled, headers=headers)
            status, code = _expected(key, needs_edit, endpoint)
            if status == 0:
                assert 200 <= response.status_code < 300, response.get_data(as_text=True)
                continue
            assert response.status_code == status, response.get_data(as_text=True)
            if code is not None:
                assert response.get_json()["error"]["code"] == code
