"""/tasks-api.php?action=… (seed 003) on a key's default board: todo, doing and done are its
backlog, active and done columns; `{"success": …}` answers and upper-case error codes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models import AgentSession
from tests.conftest import Api
from tests.ext_support import KeyClient, first_board, make_key

URL = "/tasks-api.php"


@pytest.fixture
def tasks(api: Api, client: Any, project: dict[str, Any]) -> KeyClient:
    """A key whose default project is `project` (the Agent Pipeline board is its first board)."""
    return KeyClient(client, make_key(api, allBoards=True, defaultProjectId=project["id"])["key"])


def failure(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"success", "error", "code"} and body["success"] is False and body["error"]
    assert body["code"] == code


def test_add_then_list_by_column(tasks) -> None:  # type: ignore[no-untyped-def]
    assert tasks.get(f"{URL}?action=todo") == {"success": True, "tasks": [], "count": 0}
    added = tasks.post(f"{URL}?action=add", {
        "title": "Write product descriptions", "description": "For our top 5 products", "priority": "high",
        "due_date": "2026-03-10T17:00:00Z", "tags": ["content", "products"]})
    task = added["task"]
    assert added["success"] is True and set(task) == {"id", "title", "status", "priority_score", "created_at"}
    assert (task["title"], task["status"]) == ("Write product descriptions", "TODO")
    assert 0 < task["priority_score"] <= 1

    listed = tasks.get(f"{URL}?action=todo")
    assert listed["count"] == 1 and listed["success"] is True
    shown = listed["tasks"][0]
    assert shown == {"id": task["id"], "title": "Write product descriptions", "description": "For our top 5 products",
                     "priority": "high", "priority_score": task["priority_score"], "status": "TODO",
                     "created_at": task["created_at"], "due_date": "2026-03-10T17:00:00.000Z",
                     "tags": ["content", "products"]}
    plain = tasks.post(f"{URL}?action=add", {"title": "Update pricing page"})["task"]
    assert [t["priority"] for t in tasks.get(f"{URL}?action=todo")["tasks"]] == ["high", "medium"]
    assert tasks.get(f"{URL}?action=doing")["count"] == 0 and plain["status"] == "TODO"


def test_move_between_todo_doing_and_done(app, tasks) -> None:  # type: ignore[no-untyped-def]
    task = tasks.post(f"{URL}?action=add", {"title": "Generate ad creatives"})["task"]
    moved = tasks.post(f"{URL}?action=move", {"task_id": task["id"], "to": "doing"})
    assert moved["success"] is True and moved["task"]["status"] == "DOING"
    assert [t["id"] for t in tasks.get(f"{URL}?action=doing")["tasks"]] == [task["id"]]
    with app.extensions["switchyard"].transaction() as db:  # the first active column: its agent is queued
        assert db.scalar(select(AgentSession.status).where(AgentSession.card_id == task["id"])) == "queued"
    assert tasks.post(f"{URL}?action=move", {"task_id": task["id"], "to": "done"})["task"]["status"] == "DONE"
    assert tasks.get(f"{URL}?action=done")["count"] == 1
    assert tasks.post(f"{URL}?action=move", {"task_id": task["id"], "to": "todo"})["task"]["status"] == "TODO"
    assert tasks.get(f"{URL}?action=done")["count"] == 0


def test_doing_lists_every_active_column(api, tasks, project, columns) -> None:  # type: ignore[no-untyped-def]
    for name in ("Plan", "Review"):
        api.post(f"/api/projects/{project['id']}/cards", {"title": f"in {name}", "columnId": columns[name]["id"]},
                 expect=201)
    assert [t["title"] for t in tasks.get(f"{URL}?action=doing")["tasks"]] == ["in Plan", "in Review"]


def test_chat_hands_the_message_to_the_project_assistant(api, tasks, project) -> None:  # type: ignore[no-untyped-def]
    answer = tasks.post(f"{URL}?action=chat", {"message": "What tasks are currently in progress?", "user": "admin"})
    assert set(answer) == {"success", "reply", "timestamp"}
    assert answer["success"] is True and answer["reply"] and answer["timestamp"].endswith("Z")
    conversation = api.get(f"/api/projects/{project['id']}/assistant")  # the people's view of the same chat
    assert conversation["sessionId"] in answer["reply"] and conversation["status"] == "queued"
    assert [m["text"] for m in conversation["messages"]] == ["What tasks are currently in progress?"]


def test_error_codes(api, client, tasks, project) -> None:  # type: ignore[no-untyped-def]
    failure(client.get(f"{URL}?action=todo"), 401, "UNAUTHORIZED")
    failure(client.get(f"{URL}?action=todo", headers={"Authorization": "Bearer ak_wrong"}), 401, "UNAUTHORIZED")
    failure(tasks.client.get(f"{URL}?action=later", headers=_auth(tasks)), 400, "INVALID_ACTION")
    failure(tasks.client.get(URL, headers=_auth(tasks)), 400, "INVALID_ACTION")
    failure(tasks.client.post(f"{URL}?action=add", json={"description": "no title"}, headers=_auth(tasks)),
            400, "MISSING_FIELD")
    failure(tasks.client.post(f"{URL}?action=move", json={"to": "done"}, headers=_auth(tasks)), 400, "MISSING_FIELD")
    failure(tasks.client.post(f"{URL}?action=move", json={"task_id": "card_nope", "to": "done"}, headers=_auth(tasks)),
            404, "TASK_NOT_FOUND")
    failure(tasks.client.post(f"{URL}?action=add", json={"title": "x" * 201}, headers=_auth(tasks)),
            400, "VALIDATION_ERROR")
    failure(tasks.client.post(f"{URL}?action=add", json={"title": "x", "priority": "p0"}, headers=_auth(tasks)),
            400, "VALIDATION_ERROR")
    failure(tasks.client.post(f"{URL}?action=add", data="{not json", content_type="application/json",
                              headers=_auth(tasks)), 400, "INVALID_BODY")
    failure(tasks.client.get(f"{URL}?action=add", headers=_auth(tasks)), 405, "METHOD_NOT_ALLOWED")
    assert tasks.get(f"{URL}?action=todo")["count"] == 0  # nothing half-made

    # A task of another board is not found through this key's board.
    other = api.post(f"/api/projects/{project['id']}/boards", {"name": "Other"}, expect=201)
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "elsewhere", "boardId": other["id"]}, expect=201)
    failure(tasks.client.post(f"{URL}?action=move", json={"task_id": card["id"], "to": "done"}, headers=_auth(tasks)),
            404, "TASK_NOT_FOUND")


def test_the_board_is_the_keys_default_board_and_a_read_key_only_reads(api, client, project) -> None:  # type: ignore[no-untyped-def]
    board = first_board(api, project)
    second = api.post(f"/api/projects/{project['id']}/boards", {"name": "Second"}, expect=201)
    api.post(f"/api/projects/{project['id']}/cards", {"title": "on the second board", "boardId": second["id"]},
             expect=201)
    on_second = KeyClient(client, make_key(api, allBoards=True, defaultBoardId=second["id"])["key"])
    assert [t["title"] for t in on_second.get(f"{URL}?action=todo")["tasks"]] == ["on the second board"]

    reader = KeyClient(client, make_key(api, boards=[{"boardId": board["id"], "permission": "read"}],
                                        defaultBoardId=board["id"])["key"])
    assert reader.get(f"{URL}?action=todo")["success"] is True
    failure(client.post(f"{URL}?action=add", json={"title": "nope"}, headers=_auth(reader)), 403, "FORBIDDEN")

    nowhere = KeyClient(client, make_key(api, allBoards=True)["key"])
    failure(client.get(f"{URL}?action=todo", headers=_auth(nowhere)), 400, "NO_DEFAULT_BOARD")


def _auth(keyed: KeyClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {keyed.key}"}
