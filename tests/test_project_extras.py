"""Project reorder, unread cards (view marks and mark-all-read), the JSON export and a column's
clean-all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models import Credential
from tests.conftest import Api, Users


def error(data: Any) -> dict[str, Any]:
    return data["error"]


def add_card(api: Api, project: dict[str, Any], title: str, **fields: Any) -> dict[str, Any]:
    return api.post(f"/api/projects/{project['id']}/cards", {"title": title, **fields}, expect=201)


# Reorder ---------------------------------------------------------------------------------------


def test_reorder_projects(api: Api, make_repo: Callable[..., Path]) -> None:
    ids = [api.post("/api/projects", {"name": n, "path": str(make_repo(n))}, expect=201)["id"] for n in "abc"]
    ordered = api.patch("/api/projects/reorder", {"ids": [ids[2], ids[0], ids[1]]})
    assert [p["name"] for p in ordered] == ["c", "a", "b"]
    assert [p["name"] for p in api.get("/api/projects")] == ["c", "a", "b"]


@pytest.mark.parametrize("case", ["missing", "unknown", "duplicate", "absent"])
def test_reorder_needs_every_project_once(api: Api, make_repo: Callable[..., Path], case: str) -> None:
    ids = [api.post("/api/projects", {"name": n, "path": str(make_repo(n))}, expect=201)["id"] for n in "ab"]
    body = {"missing": {"ids": ids[:1]}, "unknown": {"ids": [*ids, "proj_nope"]},
            "duplicate": {"ids": [ids[0], ids[0], ids[1]]}, "absent": {}}[case]
    assert "ids" in error(api.patch("/api/projects/reorder", body, expect=400))["message"]
    assert [p["name"] for p in api.get("/api/projects")] == ["a", "b"]


def test_reorder_leaves_projects_others_cannot_see_in_place(api: Api, users: Users,
                                                           make_repo: Callable[..., Path]) -> None:
    root_token = users.setup_admin()
    users.enable_auth(root_token)
    root = api.as_user(root_token)
    dev_token, _ = users.register("dev@example.com")
    dev = api.as_user(dev_token)
    mine = [dev.post("/api/projects", {"name": n, "path": str(make_repo(n))}, expect=201)["id"] for n in ("d1", "d2")]
    root.post("/api/projects", {"name": "r1", "path": str(make_repo("r1"))}, expect=201)
    root.patch("/api/projects/reorder", {"ids": [p["id"] for p in root.get("/api/projects")][::-1]})
    before = [p["name"] for p in root.get("/api/projects")]
    assert before == ["r1", "d2", "d1"]

    dev.patch("/api/projects/reorder", {"ids": mine})

    assert [p["name"] for p in dev.get("/api/projects")] == ["d1", "d2"]
    assert [p["name"] for p in root.get("/api/projects")] == ["r1", "d1", "d2"]  # r1 kept its place


# Unread cards ----------------------------------------------------------------------------------


def unread(api: Api, project: dict[str, Any]) -> set[str]:
    return {c["title"] for c in api.get(f"/api/projects/{project['id']}/cards") if c["unread"]}


def test_a_card_is_unread_until_viewed_and_again_after_it_changes(api: Api, project: dict[str, Any]) -> None:
    card = add_card(api, project, "Fix login")
    base = f"/api/projects/{project['id']}/cards/{card['id']}"
    assert unread(api, project) == {"Fix login"}
    assert api.get(base)["unread"] is True

    api.post(f"{base}/view", expect=204)
    assert unread(api, project) == set()
    assert api.get(base)["unread"] is False

    api.patch(base, {"title": "Fix the login"})
    assert unread(api, project) == {"Fix the login"}


def test_moving_a_card_leaves_its_neighbours_read(api: Api, project: dict[str, Any]) -> None:
    """The cards that shift up to close the gap have not changed: they stay read."""
    cards = [add_card(api, project, title) for title in ("first", "second", "third")]
    api.post(f"/api/projects/{project['id']}/mark-all-read", expect=204)
    before = {c["title"]: c["updatedAt"] for c in api.get(f"/api/projects/{project['id']}/cards")}
    columns = api.get(f"/api/projects/{project['id']}/columns")
    other = next(c for c in columns if c["id"] != cards[0]["columnId"])
    api.patch(f"/api/projects/{project['id']}/cards/{cards[0]['id']}/move", {"columnId": other["id"]})
    assert unread(api, project) == {"first"}
    after = {c["title"]: (c["updatedAt"], c["position"]) for c in api.get(f"/api/projects/{project['id']}/cards")}
    assert after["second"] == (before["second"], 0) and after["third"] == (before["third"], 1)


def test_mark_all_read(api: Api, project: dict[str, Any]) -> None:
    for title in ("one", "two", "three"):
        add_card(api, project, title)
    api.post(f"/api/projects/{project['id']}/mark-all-read", expect=204)
    assert unread(api, project) == set()
    add_card(api, project, "four")
    assert unread(api, project) == {"four"}
    api.post(f"/api/projects/{project['id']}/mark-all-read", expect=204)  # again, over existing marks
    assert unread(api, project) == set()


def test_view_marks_belong_to_each_person(api: Api, users: Users, repo: Path) -> None:
    root_token = users.setup_admin()
    users.enable_auth(root_token)
    root = api.as_user(root_token)
    dev_token, _ = users.register("dev@example.com")
    dev = api.as_user(dev_token)
    project = root.post("/api/projects", {"name": "P", "path": str(repo)}, expect=201)
    root.post(f"/api/projects/{project['id']}/members", {"email": "dev@example.com"}, expect=201)
    card = add_card(root, project, "Shared card")

    dev.post(f"/api/projects/{project['id']}/cards/{card['id']}/view", expect=204)  # a viewer may mark

    assert unread(dev, project) == set()
    assert unread(root, project) == {"Shared card"}
    root.post(f"/api/projects/{project['id']}/mark-all-read", expect=204)
    assert unread(root, project) == set()


def test_view_and_mark_all_read_of_unknown_things_are_404(api: Api, project: dict[str, Any]) -> None:
    api.post(f"/api/projects/{project['id']}/cards/card_nope/view", expect=404)
    api.post("/api/projects/proj_nope/mark-all-read", expect=404)


# Export ----------------------------------------------------------------------------------------


def test_export_is_a_json_download_of_the_whole_project(api: Api, client: Any, app: Any,
                                                        project: dict[str, Any], columns: dict[str, Any]) -> None:
    credential = api.post("/api/credentials", {"name": "Key", "provider": "anthropic", "apiKey": "sk-ant-secret-99"},
                          expect=201)
    api.patch(f"/api/projects/{project['id']}/columns/{columns['Plan']['id']}", {"credentialId": credential["id"]})
    card = add_card(api, project, "Fix login", prompt="The form rejects valid emails", labels=["bug"],
                    priority="high")
    base = f"/api/projects/{project['id']}/cards/{card['id']}"
    api.post(f"{base}/comments", {"body": "Seen on Safari too"}, expect=201)
    api.post(f"{base}/todos", {"text": "Write a test"}, expect=201)

    response = client.get(f"/api/projects/{project['id']}/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Demo-export-')
    document = json.loads(response.get_data())
    assert (document["format"], document["version"]) == ("switchyard.project", 1)
    assert document["project"]["name"] == "Demo"
    board = document["boards"][0]
    assert [c["name"] for c in board["columns"]] == [c["name"] for c in sorted(columns.values(),
                                                                                key=lambda c: c["position"])]
    exported = document["cards"][0]
    assert (exported["title"], exported["prompt"], exported["labels"], exported["priority"]) == (
        "Fix login", "The form rejects valid emails", ["bug"], "high")
    assert [c["body"] for c in exported["comments"]] == ["Seen on Safari too"]
    assert [t["text"] for t in exported["todos"]] == ["Write a test"]
    text = response.get_data(as_text=True)
    with app.extensions["switchyard"].sessions() as session:
        assert session.get(Credential, credential["id"]) is not None
    assert "sk-ant-secret-99" not in text and credential["id"] not in text and "credentialId" not in text


def test_export_of_an_unknown_project_is_404(api: Api) -> None:
    assert error(api.get("/api/projects/proj_nope/export", expect=404))["code"] == "not_found"


# Clean-all -------------------------------------------------------------------------------------


def test_clean_all_deletes_every_card_of_the_column(api: Api, project: dict[str, Any],
                                                    columns: dict[str, Any]) -> None:
    backlog, done = columns["Backlog"]["id"], columns["Done"]["id"]
    for title in ("one", "two", "three"):
        add_card(api, project, title, columnId=backlog)
    add_card(api, project, "finished", columnId=done)

    api.post(f"/api/projects/{project['id']}/columns/{backlog}/clean-all", expect=204)

    assert [c["title"] for c in api.get(f"/api/projects/{project['id']}/cards")] == ["finished"]
    api.post(f"/api/projects/{project['id']}/columns/{backlog}/clean-all", expect=204)  # empty: nothing to do


def test_clean_all_refuses_while_an_agent_runs_unless_forced(api: Api, project: dict[str, Any],
                                                             columns: dict[str, Any]) -> None:
    plan = columns["Plan"]["id"]  # an active column: entering it queues a session
    add_card(api, project, "quiet", columnId=columns["Backlog"]["id"])
    api.patch(f"/api/projects/{project['id']}/columns/{plan}", {"columnType": "backlog"})
    add_card(api, project, "waiting", columnId=plan)
    api.patch(f"/api/projects/{project['id']}/columns/{plan}", {"columnType": "active"})
    busy = add_card(api, project, "busy", columnId=plan)
    assert api.get(f"/api/projects/{project['id']}/cards/{busy['id']}")["hasActiveAgent"] is True

    problem = error(api.post(f"/api/projects/{project['id']}/columns/{plan}/clean-all", expect=409))

    assert problem["code"] == "agent_running"
    assert {c["title"] for c in api.get(f"/api/projects/{project['id']}/cards")} == {"quiet", "waiting", "busy"}
    api.post(f"/api/projects/{project['id']}/columns/{plan}/clean-all?force=true", expect=204)
    assert {c["title"] for c in api.get(f"/api/projects/{project['id']}/cards")} == {"quiet"}


def test_clean_all_of_an_unknown_column_is_404(api: Api, project: dict[str, Any]) -> None:
    api.post(f"/api/projects/{project['id']}/columns/col_nope/clean-all", expect=404)
