"""Boards and columns of a project: creation from templates, changes, ordering and deletion."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api

BOARD_KEYS = {"id", "name", "projectId", "position"}
COLUMN_KEYS = {"id", "name", "columnType", "position", "boardId", "projectId", "prompt", "credentialId",
               "engine", "model", "planMode", "wipLimit", "budgetUsd", "timeoutSeconds"}


def error(client: FlaskClient, method: str, path: str, json: Any = None, status: int = 400) -> dict[str, Any]:
    """The `error` object of a request expected to fail with `status`."""
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def boards_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/boards"


def columns_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/columns"


def add_board(api: Api, project: dict[str, Any], name: str, template_id: str | None = None) -> dict[str, Any]:
    body = {"name": name} | ({"templateId": template_id} if template_id else {})
    return api.post(boards_url(project), body, expect=201)


def board_columns(api: Api, project: dict[str, Any], board_id: str) -> list[dict[str, Any]]:
    return api.get(f"{columns_url(project)}?boardId={board_id}")


def names(items: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in items]


def add_column(api: Api, project: dict[str, Any], board_id: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Extra", "columnType": "backlog", "boardId": board_id} | fields
    return api.post(columns_url(project), body, expect=201)


@pytest.fixture
def board(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    """The project's first board (Agent Pipeline columns)."""
    return api.get(boards_url(project))[0]


# Boards ----------------------------------------------------------------------------------------


def test_list_boards(api: Api, project: dict[str, Any]) -> None:
    boards = api.get(boards_url(project))
    assert len(boards) == 1
    assert BOARD_KEYS <= set(boards[0])
    assert boards[0]["id"].startswith("board_")
    assert (boards[0]["name"], boards[0]["projectId"], boards[0]["position"]) == ("Main Board", project["id"], 0)


def test_create_board_without_template_gets_kanban_default(api: Api, project: dict[str, Any]) -> None:
    board = add_board(api, project, "Sprint Board")
    assert BOARD_KEYS <= set(board)
    assert (board["name"], board["projectId"], board["position"]) == ("Sprint Board", project["id"], 1)
    columns = board_columns(api, project, board["id"])
    assert [(c["name"], c["columnType"], c["position"]) for c in columns] == [
        ("Backlog", "backlog", 0), ("In Progress", "active", 1), ("Done", "done", 2)]
    assert all(c["boardId"] == board["id"] for c in columns)


def test_create_board_with_template_copies_its_columns_and_policy(api: Api, project: dict[str, Any]) -> None:
    board = add_board(api, project, "Pipeline", "tpl_agent_pipeline")
    columns = board_columns(api, project, board["id"])
    assert names(columns) == ["Backlog", "Plan", "Implement", "Review", "Done"]
    by_name = {c["name"]: c for c in columns}
    assert by_name["Plan"]["planMode"] is True and by_name["Implement"]["planMode"] is False
    assert by_name["Plan"]["prompt"] and by_name["Review"]["prompt"]


def test_boards_are_listed_by_position(api: Api, project: dict[str, Any], board: dict[str, Any]) -> None:
    second = add_board(api, project, "Second")
    third = add_board(api, project, "Third")
    api.patch(f"{boards_url(project)}/reorder", {"ids": [third["id"], board["id"], second["id"]]})
    assert names(api.get(boards_url(project))) == ["Third", "Main Board", "Second"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": 7}, "name")],
    ids=["missing", "empty", "not-a-string"],
)
def test_create_board_needs_a_name(
    api: Api, client: FlaskClient, project: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    err = error(client, "POST", boards_url(project), body)
    assert err["code"] == "validation_error" and field in err["message"]
    assert len(api.get(boards_url(project))) == 1


def test_create_board_with_unknown_template_is_404_and_writes_nothing(
    api: Api, client: FlaskClient, project: dict[str, Any]
) -> None:
    before = api.get(columns_url(project))
    err = error(client, "POST", boards_url(project), {"name": "X", "templateId": "tpl_nope"}, status=404)
    assert err["code"] == "not_found" and "tpl_nope" in err["message"]
    assert len(api.get(boards_url(project))) == 1
    assert api.get(columns_url(project)) == before


def test_rename_board(api: Api, project: dict[str, Any], board: dict[str, Any]) -> None:
    renamed = api.patch(f"{boards_url(project)}/{board['id']}", {"name": "Renamed"})
    assert (renamed["id"], renamed["name"], renamed["position"]) == (board["id"], "Renamed", 0)
    assert names(api.get(boards_url(project))) == ["Renamed"]


def test_rename_board_to_blank_is_refused(
    api: Api, client: FlaskClient, project: dict[str, Any], board: dict[str, Any]
) -> None:
    err = error(client, "PATCH", f"{boards_url(project)}/{board['id']}", {"name": "  "})
    assert err["code"] == "validation_error" and "name" in err["message"]
    assert names(api.get(boards_url(project))) == ["Main Board"]


def test_delete_board_removes_its_columns_and_cards(
    api: Api, client: FlaskClient, project: dict[str, Any], board: dict[str, Any]
) -> None:
    other = add_board(api, project, "Other")
    column_id = board_columns(api, project, other["id"])[0]["id"]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Doomed", "columnId": column_id}, expect=201)

    assert api.delete(f"{boards_url(project)}/{other['id']}") is None
    assert [b["id"] for b in api.get(boards_url(project))] == [board["id"]]
    assert board_columns(api, project, other["id"]) == []
    assert {c["boardId"] for c in api.get(columns_url(project))} == {board["id"]}
    assert error(client, "GET", f"/api/projects/{project['id']}/cards/{card['id']}", status=404)["code"] == "not_found"


def test_reorder_boards_sets_positions(api: Api, project: dict[str, Any], board: dict[str, Any]) -> None:
    second = add_board(api, project, "Second")
    ordered = api.patch(f"{boards_url(project)}/reorder", {"ids": [second["id"], board["id"]]})
    assert [(b["id"], b["position"]) for b in ordered] == [(second["id"], 0), (board["id"], 1)]
    assert [(b["id"], b["position"]) for b in api.get(boards_url(project))] == [(second["id"], 0), (board["id"], 1)]


@pytest.mark.parametrize(
    ("make_ids", "says"),
    [
        (lambda a, b: [a], "missing"),
        (lambda a, b: [a, b, "board_unknown"], "unknown"),
        (lambda a, b: [a, b, a], "only once"),
        (lambda a, b: [], "missing"),
    ],
    ids=["missing-id", "unknown-id", "duplicate", "empty"],
)
def test_reorder_boards_must_name_each_board_once(
    api: Api, client: FlaskClient, project: dict[str, Any], board: dict[str, Any], make_ids: Any, says: str
) -> None:
    second = add_board(api, project, "Second")
    err = error(client, "PATCH", f"{boards_url(project)}/reorder", {"ids": make_ids(board["id"], second["id"])})
    assert err["code"] == "validation_error"
    assert "ids" in err["message"] and says in err["message"]
    assert [b["id"] for b in api.get(boards_url(project))] == [board["id"], second["id"]]


def test_board_of_another_project_is_not_found(
    api: Api, client: FlaskClient, project: dict[str, Any], make_repo: Any
) -> None:
    other = api.post("/api/projects", {"name": "Other", "path": str(make_repo("other"))}, expect=201)
    foreign = api.get(boards_url(other))[0]
    url = f"{boards_url(project)}/{foreign['id']}"
    assert error(client, "PATCH", url, {"name": "Stolen"}, status=404)["code"] == "not_found"
    assert error(client, "DELETE", url, status=404)["code"] == "not_found"
    column = {"name": "Sneaky", "columnType": "backlog", "boardId": foreign["id"]}
    assert error(client, "POST", columns_url(project), column, status=404)["code"] == "not_found"
    assert names(api.get(boards_url(other))) == ["Main Board"]
    assert "Sneaky" not in names(api.get(columns_url(other)))
    assert api.get(f"{columns_url(project)}?boardId={foreign['id']}") == []


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("POST", "/boards"), ("PATCH", "/boards/reorder"), ("POST", "/columns"), ("PATCH", "/columns/reorder")],
)
def test_body_that_is_not_json_is_refused(
    client: FlaskClient, project: dict[str, Any], method: str, suffix: str
) -> None:
    response = client.open(f"/api/projects/{project['id']}{suffix}", method=method, data="{oops",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_body"


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "/boards", None),
        ("POST", "/boards", {"name": "B"}),
        ("PATCH", "/boards/reorder", {"ids": []}),
        ("PATCH", "/boards/board_x", {"name": "B"}),
        ("DELETE", "/boards/board_x", None),
        ("GET", "/columns", None),
        ("POST", "/columns", {"name": "C", "columnType": "backlog", "boardId": "board_x"}),
        ("PATCH", "/columns/reorder", {"ids": ["col_x"]}),
        ("PATCH", "/columns/col_x", {"name": "C"}),
        ("DELETE", "/columns/col_x", None),
    ],
)
def test_unknown_project_is_404(client: FlaskClient, method: str, suffix: str, body: Any) -> None:
    err = error(client, method, f"/api/projects/proj_missing{suffix}", body, status=404)
    assert err["code"] == "not_found" and "proj_missing" in err["message"]


@pytest.mark.parametrize(
    ("method", "suffix", "body", "ident"),
    [
        ("PATCH", "/boards/board_x", {"name": "B"}, "board board_x"),
        ("DELETE", "/boards/board_x", None, "board board_x"),
        ("POST", "/columns", {"name": "C", "columnType": "backlog", "boardId": "board_x"}, "board board_x"),
        ("PATCH", "/columns/col_x", {"name": "C"}, "column col_x"),
        ("DELETE", "/columns/col_x", None, "column col_x"),
    ],
)
def test_unknown_board_or_column_is_404(
    client: FlaskClient, project: dict[str, Any], method: str, suffix: str, body: Any, ident: str
) -> None:
    err = error(client, method, f"/api/projects/{project['id']}{suffix}", body, status=404)
    assert err["code"] == "not_found" and ident in err["message"]


# Columns ---------------------------------------------------------------------------------------


def test_list_columns_of_the_project_and_of_one_board(
    api: Api, project: dict[str, Any], board: dict[str, Any]
) -> None:
    other = add_board(api, project, "Other")
    everything = api.get(columns_url(project))
    assert len(everything) == 8
    assert all(COLUMN_KEYS <= set(c) and c["id"].startswith("col_") for c in everything)
    assert all(c["projectId"] == project["id"] for c in everything)

    first = board_columns(api, project, board["id"])
    assert names(first) == ["Backlog", "Plan", "Implement", "Review", "Done"]
    assert [c["position"] for c in first] == [0, 1, 2, 3, 4]
    assert names(board_columns(api, project, other["id"])) == ["Backlog", "In Progress", "Done"]


@pytest.mark.parametrize("column_type", ["backlog", "active", "done", "archive"])
def test_create_column_of_each_type(
    api: Api, project: dict[str, Any], board: dict[str, Any], column_type: str
) -> None:
    column = add_column(api, project, board["id"], name="New", columnType=column_type)
    assert COLUMN_KEYS <= set(column)
    assert (column["name"], column["columnType"], column["boardId"], column["position"]) == (
        "New", column_type, board["id"], 5)
    assert names(board_columns(api, project, board["id"]))[-1] == "New"


POLICY = {
    "prompt": "Do {{ card.title }} carefully.",
    "engine": "openai",
    "model": "gpt-4.1-mini",
    "planMode": True,
    "wipLimit": 2,
    "budgetUsd": 1.5,
    "timeoutSeconds": 900,
}


def test_policy_fields_round_trip_through_create(api: Api, project: dict[str, Any], board: dict[str, Any]) -> None:
    credential = api.post("/api/credentials", {"name": "k", "provider": "openai", "apiKey": "sk-test"}, expect=201)
    policy = POLICY | {"credentialId": credential["id"]}
    column = add_column(api, project, board["id"], columnType="active", **policy)
    stored = next(c for c in api.get(columns_url(project)) if c["id"] == column["id"])
    for key, value in policy.items():
        assert column[key] == value, key
        assert stored[key] == value, key


def test_policy_fields_round_trip_through_patch(
    api: Api, project: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> None:
    credential = api.post("/api/credentials", {"name": "k", "provider": "anthropic", "apiKey": "sk-ant"}, expect=201)
    url = f"{columns_url(project)}/{columns['Implement']['id']}"
    policy = POLICY | {"credentialId": credential["id"], "engine": "claude-code", "model": "claude-sonnet-4"}
    updated = api.patch(url, policy)
    for key, value in policy.items():
        assert updated[key] == value, key
    assert updated["name"] == "Implement" and updated["columnType"] == "active"
    stored = next(c for c in api.get(columns_url(project)) if c["id"] == updated["id"])
    assert {k: stored[k] for k in policy} == policy


@pytest.mark.parametrize("engine", ["anthropic", "openai", "claude-code", "codex", "command"])
def test_every_engine_is_accepted(api: Api, project: dict[str, Any], board: dict[str, Any], engine: str) -> None:
    assert add_column(api, project, board["id"], engine=engine)["engine"] == engine


def test_explicit_null_clears_nullable_policy(
    api: Api, project: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> None:
    url = f"{columns_url(project)}/{columns['Implement']['id']}"
    api.patch(url, {"wipLimit": 3, "budgetUsd": 2.0, "model": "m"})
    cleared = api.patch(url, {"wipLimit": None})
    assert cleared["wipLimit"] is None
    assert (cleared["budgetUsd"], cleared["model"]) == (2.0, "m"), "fields not sent stay as they were"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"columnType": "doing"}, "columnType"),
        ({"engine": "gpt"}, "engine"),
        ({"wipLimit": 0}, "wipLimit"),
        ({"budgetUsd": 0}, "budgetUsd"),
        ({"budgetUsd": -1}, "budgetUsd"),
        ({"timeoutSeconds": 0}, "timeoutSeconds"),
        ({"planMode": "sometimes"}, "planMode"),
        ({"name": ""}, "name"),
        ({"position": -1}, "position"),
    ],
)
def test_create_column_with_bad_value_is_refused_and_writes_nothing(
    api: Api, client: FlaskClient, project: dict[str, Any], board: dict[str, Any], fields: dict[str, Any], field: str
) -> None:
    before = api.get(columns_url(project))
    body = {"name": "Extra", "columnType": "backlog", "boardId": board["id"]} | fields
    err = error(client, "POST", columns_url(project), body)
    assert err["code"] == "validation_error" and field in err["message"]
    assert api.get(columns_url(project)) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"columnType": "doing"}, "columnType"), ({"wipLimit": 0}, "wipLimit"), ({"budgetUsd": 0}, "budgetUsd"),
     ({"engine": "gpt"}, "engine")],
)
def test_patch_column_with_bad_value_changes_nothing(
    api: Api, client: FlaskClient, project: dict[str, Any], columns: dict[str, dict[str, Any]],
    fields: dict[str, Any], field: str,
) -> None:
    url = f"{columns_url(project)}/{columns['Implement']['id']}"
    err = error(client, "PATCH", url, {"name": "Renamed", "wipLimit": 4} | fields)
    assert err["code"] == "validation_error" and field in err["message"]
    stored = next(c for c in api.get(columns_url(project)) if c["id"] == columns["Implement"]["id"])
    assert stored == columns["Implement"]


def test_unknown_credential_on_a_column_is_404(
    api: Api, client: FlaskClient, project: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> None:
    url = f"{columns_url(project)}/{columns['Implement']['id']}"
    err = error(client, "PATCH", url, {"credentialId": "cred_missing"}, status=404)
    assert err["code"] == "not_found" and "cred_missing" in err["message"]
    assert api.get(columns_url(project))[2]["credentialId"] is None


@pytest.mark.parametrize("position", [0, 2, 5, 99])
def test_position_on_create_inserts_the_column_there(
    api: Api, project: dict[str, Any], board: dict[str, Any], position: int
) -> None:
    expected = ["Backlog", "Plan", "Implement", "Review", "Done"]
    expected.insert(position, "Extra")
    add_column(api, project, board["id"], position=position)
    listed = board_columns(api, project, board["id"])
    assert names(listed) == expected
    assert [c["position"] for c in listed] == list(range(6))


def test_patch_name_and_prompt(api: Api, project: dict[str, Any], columns: dict[str, dict[str, Any]]) -> None:
    url = f"{columns_url(project)}/{columns['Review']['id']}"
    updated = api.patch(url, {"name": "Code Review", "prompt": "Review {{ card.title }}"})
    assert (updated["name"], updated["prompt"]) == ("Code Review", "Review {{ card.title }}")
    assert (updated["columnType"], updated["position"]) == ("active", 3)
    assert "Code Review" in names(api.get(columns_url(project)))


def test_delete_empty_column(api: Api, project: dict[str, Any], columns: dict[str, dict[str, Any]]) -> None:
    assert api.delete(f"{columns_url(project)}/{columns['Review']['id']}") is None
    assert names(api.get(columns_url(project))) == ["Backlog", "Plan", "Implement", "Done"]


def test_delete_column_holding_a_card_is_409(
    api: Api, client: FlaskClient, project: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> None:
    backlog = columns["Backlog"]
    api.post(f"/api/projects/{project['id']}/cards", {"title": "Keep me", "columnId": backlog["id"]}, expect=201)
    err = error(client, "DELETE", f"{columns_url(project)}/{backlog['id']}", status=409)
    assert err["code"] == "column_not_empty" and backlog["id"] in err["message"]
    assert "Backlog" in names(api.get(columns_url(project)))


def test_reorder_columns(api: Api, project: dict[str, Any], board: dict[str, Any]) -> None:
    ids = [c["id"] for c in board_columns(api, project, board["id"])]
    new_order = [ids[4], ids[0], ids[3], ids[1], ids[2]]
    ordered = api.patch(f"{columns_url(project)}/reorder", {"ids": new_order})
    assert [(c["id"], c["position"]) for c in ordered] == [(i, n) for n, i in enumerate(new_order)]
    assert names(board_columns(api, project, board["id"])) == ["Done", "Backlog", "Review", "Plan", "Implement"]


@pytest.mark.parametrize(
    ("make_ids", "says"),
    [
        (lambda ids, other: ids[:-1], "missing"),
        (lambda ids, other: ids + ids[:1], "only once"),
        (lambda ids, other: [*ids, "col_unknown"], "unknown"),
        (lambda ids, other: ids + other, "unknown"),
        (lambda ids, other: other[:1] + ids, ""),
        (lambda ids, other: [], ""),
        (lambda ids, other: ["col_unknown"], ""),
    ],
    ids=["missing-id", "duplicate", "unknown-id", "two-boards", "two-boards-other-first", "empty", "only-unknown"],
)
def test_reorder_columns_must_name_each_column_of_one_board_once(
    api: Api, client: FlaskClient, project: dict[str, Any], board: dict[str, Any], make_ids: Any, says: str
) -> None:
    other = add_board(api, project, "Other")
    ids = [c["id"] for c in board_columns(api, project, board["id"])]
    other_ids = [c["id"] for c in board_columns(api, project, other["id"])]
    before = api.get(columns_url(project))

    err = error(client, "PATCH", f"{columns_url(project)}/reorder", {"ids": make_ids(ids, other_ids)})
    assert err["code"] == "validation_error"
    assert "ids" in err["message"] and says in err["message"]
    assert api.get(columns_url(project)) == before


def test_reorder_columns_of_another_project_is_refused(
    api: Api, client: FlaskClient, project: dict[str, Any], make_repo: Any
) -> None:
    other = api.post("/api/projects", {"name": "Other", "path": str(make_repo("other"))}, expect=201)
    foreign = [c["id"] for c in api.get(columns_url(other))]
    err = error(client, "PATCH", f"{columns_url(project)}/reorder", {"ids": foreign[::-1]})
    assert err["code"] == "validation_error" and "ids" in err["message"]
    assert [c["id"] for c in api.get(columns_url(other))] == foreign


def test_a_column_prompt_must_be_a_valid_template(api, project, client):  # type: ignore[no-untyped-def]
    board_id = api.get(f"/api/projects/{project['id']}/boards")[0]["id"]
    response = client.post(f"/api/projects/{project['id']}/columns",
                           json={"name": "X", "columnType": "active", "boardId": board_id, "prompt": "{{ card.title"})
    assert response.status_code == 400
    assert "prompt" in response.get_json()["error"]["message"]
