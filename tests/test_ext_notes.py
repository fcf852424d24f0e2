"""/api/ext/v1 comments and todos of a task (seed 000), beside what people and agents add."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, first_board, make_key


@pytest.fixture
def task_path(api: Api, client: Any, project: dict[str, Any]) -> tuple[KeyClient, str]:
    ext = KeyClient(client, make_key(api, "CI Bot", allBoards=True)["key"])
    board = first_board(api, project)
    task = ext.post(f"{EXT}/boards/{board['id']}/tasks", {"title": "Talk about it"}, expect=201)["data"]
    return ext, f"{EXT}/boards/{board['id']}/tasks/{task['id']}"


def test_comments_carry_their_author_source(api, project, task_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = task_path
    by_api = ext.post(f"{base}/comments", {"body": "Work completed.", "authorName": "CI Bot", "source": "api"},
                      expect=201)["data"]
    assert set(by_api) == {"id", "body", "authorName", "authorSource", "createdAt"}
    assert (by_api["body"], by_api["authorName"], by_api["authorSource"]) == ("Work completed.", "CI Bot", "api")
    by_agent = ext.post(f"{base}/comments", {"body": "I fixed it", "source": "agent"}, expect=201)["data"]
    assert by_agent["authorSource"] == "agent" and by_agent["authorName"] == "CI Bot"  # the key's name
    default = ext.post(f"{base}/comments", {"body": "plain"}, expect=201)["data"]
    assert default["authorSource"] == "api"

    card_id = base.rsplit("/", 1)[1]
    api.post(f"/api/projects/{project['id']}/cards/{card_id}/comments", {"body": "from a person"}, expect=201)
    listed = ext.get(f"{base}/comments")["data"]
    assert [(c["body"], c["authorSource"]) for c in listed] == [
        ("Work completed.", "api"), ("I fixed it", "agent"), ("plain", "api"), ("from a person", "user")]

    assert ext.delete(f"{base}/comments/{by_agent['id']}") is None
    assert len(ext.get(f"{base}/comments")["data"]) == 3
    assert ext.error("DELETE", f"{base}/comments/{by_agent['id']}", 404) == "not_found"
    assert ext.error("POST", f"{base}/comments", 400, {"body": "x", "source": "user"}) == "validation_error"
    assert ext.error("POST", f"{base}/comments", 400, {"body": "  "}) == "validation_error"


def test_todos_are_ordered_by_iteration_then_order(task_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = task_path
    later = ext.post(f"{base}/todos", {"text": "Update release notes", "iteration": 2, "source": "agent"},
                     expect=201)["data"]
    assert (later["text"], later["iteration"], later["source"], later["done"]) == (
        "Update release notes", 2, "agent", False)
    first = ext.post(f"{base}/todos", {"text": "Write the fix"}, expect=201)["data"]
    second = ext.post(f"{base}/todos", {"text": "Add a test"}, expect=201)["data"]
    assert first["iteration"] == 0 and first["source"] == "api"
    assert [t["text"] for t in ext.get(f"{base}/todos")["data"]] == ["Write the fix", "Add a test",
                                                                     "Update release notes"]

    reordered = ext.post(f"{base}/todos/reorder", {"orderedIds": [second["id"], first["id"], later["id"]]})["data"]
    assert [t["text"] for t in reordered] == ["Add a test", "Write the fix", "Update release notes"]
    assert [t["text"] for t in ext.get(f"{base}/todos")["data"]] == ["Add a test", "Write the fix",
                                                                     "Update release notes"]
    assert ext.error("POST", f"{base}/todos/reorder", 400, {"orderedIds": [first["id"]]}) == "validation_error"


def test_a_todo_is_read_updated_and_deleted(task_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = task_path
    todo = ext.post(f"{base}/todos", {"text": "Ship it"}, expect=201)["data"]
    assert ext.get(f"{base}/todos/{todo['id']}")["data"]["text"] == "Ship it"
    done = ext.patch(f"{base}/todos/{todo['id']}", {"done": True, "text": "Ship it now", "iteration": 1})["data"]
    assert (done["done"], done["text"], done["iteration"]) == (True, "Ship it now", 1)
    assert done["completedAt"] is not None
    assert ext.delete(f"{base}/todos/{todo['id']}") is None
    assert ext.error("GET", f"{base}/todos/{todo['id']}", 404) == "not_found"
    assert ext.error("PATCH", f"{base}/todos/todo_nope", 404, {"done": True}) == "not_found"
    assert ext.error("POST", f"{base}/todos", 400, {"text": "x", "iteration": -1}) == "validation_error"


def test_a_read_key_reads_notes_but_cannot_write_them(api, client, project, task_path) -> None:  # type: ignore[no-untyped-def]
    ext, base = task_path
    ext.post(f"{base}/comments", {"body": "visible"}, expect=201)
    board = first_board(api, project)
    reader = KeyClient(client, make_key(api, boards=[{"boardId": board["id"], "permission": "read"}])["key"])
    assert [c["body"] for c in reader.get(f"{base}/comments")["data"]] == ["visible"]
    assert reader.get(f"{base}/todos")["data"] == []
    assert reader.error("POST", f"{base}/comments", 403, {"body": "nope"}) == "forbidden"
    assert reader.error("POST", f"{base}/todos", 403, {"text": "nope"}) == "forbidden"
