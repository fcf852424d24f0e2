"""Board templates: two read-only built-ins, and user-made ones that new boards can start from."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api

URL = "/api/board-templates"
BUILTIN_IDS = ("tpl_kanban_default", "tpl_agent_pipeline")
RELEASE_COLUMNS = [
    {"name": "Ideas", "columnType": "backlog"},
    {"name": "Build", "columnType": "active", "prompt": "Build {{ card.title }}", "engine": "codex",
     "model": "gpt-5-codex", "wipLimit": 2, "budgetUsd": 3.0, "timeoutSeconds": 600},
    {"name": "Ship", "columnType": "done"},
]


def error(client: FlaskClient, method: str, path: str, json: Any = None, status: int = 400) -> dict[str, Any]:
    """The `error` object of a request expected to fail with `status`."""
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def make_template(api: Api, name: str = "Release", columns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return api.post(URL, {"name": name, "columns": columns or RELEASE_COLUMNS}, expect=201)


def templates_by_id(api: Api) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in api.get(URL)}


def shape(template: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["name"], c["columnType"]) for c in template["columns"]]


# Built-ins -------------------------------------------------------------------------------------


def test_the_two_builtins_come_first(api: Api) -> None:
    make_template(api)
    listed = api.get(URL)
    assert [t["name"] for t in listed] == ["Kanban Default", "Agent Pipeline", "Release"]
    assert [t["builtin"] for t in listed] == [True, True, False]


def test_kanban_default(api: Api) -> None:
    template = templates_by_id(api)["tpl_kanban_default"]
    assert template["name"] == "Kanban Default"
    assert shape(template) == [("Backlog", "backlog"), ("In Progress", "active"), ("Done", "done")]


def test_agent_pipeline(api: Api) -> None:
    template = templates_by_id(api)["tpl_agent_pipeline"]
    assert template["name"] == "Agent Pipeline"
    assert shape(template) == [("Backlog", "backlog"), ("Plan", "active"), ("Implement", "active"),
                               ("Review", "active"), ("Done", "done")]
    plan_modes = {c["name"]: c.get("planMode", False) for c in template["columns"]}
    assert plan_modes == {"Backlog": False, "Plan": True, "Implement": False, "Review": False, "Done": False}


@pytest.mark.parametrize("template_id", BUILTIN_IDS)
def test_every_active_builtin_column_has_a_prompt(api: Api, template_id: str) -> None:
    active = [c for c in templates_by_id(api)[template_id]["columns"] if c["columnType"] == "active"]
    assert active
    for column in active:
        assert column.get("prompt", "").strip(), column["name"]


@pytest.mark.parametrize("template_id", BUILTIN_IDS)
@pytest.mark.parametrize(("method", "body"), [("PATCH", {"name": "Mine now"}), ("DELETE", None)])
def test_builtins_cannot_be_changed(
    api: Api, client: FlaskClient, template_id: str, method: str, body: Any
) -> None:
    before = templates_by_id(api)[template_id]
    err = error(client, method, f"{URL}/{template_id}", body, status=409)
    assert err["code"] == "builtin_template" and template_id in err["message"]
    assert templates_by_id(api)[template_id] == before


# User-made templates ---------------------------------------------------------------------------


def test_create_answers_201_with_the_template(api: Api) -> None:
    template = make_template(api)
    assert template["id"].startswith("tpl_") and template["id"] not in BUILTIN_IDS
    assert (template["name"], template["builtin"]) == ("Release", False)
    assert template["columns"] == RELEASE_COLUMNS
    assert templates_by_id(api)[template["id"]] == template


def test_a_new_board_follows_a_user_template(api: Api, project: dict[str, Any]) -> None:
    template = make_template(api)
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "Releases", "templateId": template["id"]},
                     expect=201)
    columns = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")
    assert [(c["name"], c["columnType"], c["position"]) for c in columns] == [
        ("Ideas", "backlog", 0), ("Build", "active", 1), ("Ship", "done", 2)]
    build = columns[1]
    for key in ("prompt", "engine", "model", "wipLimit", "budgetUsd", "timeoutSeconds"):
        assert build[key] == RELEASE_COLUMNS[1][key], key


def test_a_new_project_can_start_from_a_user_template(api: Api, make_repo: Any) -> None:
    template = make_template(api)
    project = api.post("/api/projects", {"name": "App", "path": str(make_repo("app")), "templateId": template["id"]},
                       expect=201)
    columns = api.get(f"/api/projects/{project['id']}/columns")
    assert [c["name"] for c in columns] == ["Ideas", "Build", "Ship"]


def test_a_template_may_name_a_credential_its_author_can_use(api: Api, project: dict[str, Any]) -> None:
    credential = api.post("/api/credentials", {"name": "k", "provider": "anthropic", "apiKey": "sk-ant"}, expect=201)
    template = make_template(api, columns=[{"name": "Run", "columnType": "active", "credentialId": credential["id"]}])
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "B", "templateId": template["id"]}, expect=201)
    column = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")[0]
    assert column["credentialId"] == credential["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"columns": RELEASE_COLUMNS}, "name"),
        ({"name": "T"}, "columns"),
        ({"name": "T", "columns": []}, "columns"),
        ({"name": "T", "columns": [{"name": "A"}]}, "columns.0.columnType"),
        ({"name": "T", "columns": [{"columnType": "backlog"}]}, "columns.0.name"),
        ({"name": "T", "columns": [{"name": "A", "columnType": "todo"}]}, "columns.0.columnType"),
        ({"name": "T", "columns": [{"name": "A", "columnType": "active", "wipLimit": 0}]}, "columns.0.wipLimit"),
        ({"name": "T", "columns": [{"name": "A", "columnType": "active", "engine": "gpt"}]}, "columns.0.engine"),
    ],
    ids=["no-name", "no-columns", "empty-columns", "column-without-type", "column-without-name", "bad-type",
         "bad-wip-limit", "bad-engine"],
)
def test_create_invalid_template_is_refused_and_writes_nothing(
    api: Api, client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    err = error(client, "POST", URL, body)
    assert err["code"] == "validation_error" and field in err["message"]
    assert list(templates_by_id(api)) == list(BUILTIN_IDS)


def test_create_with_an_unknown_credential_is_404_and_writes_nothing(api: Api, client: FlaskClient) -> None:
    body = {"name": "T", "columns": [{"name": "Run", "columnType": "active", "credentialId": "cred_missing"}]}
    err = error(client, "POST", URL, body, status=404)
    assert err["code"] == "not_found" and "cred_missing" in err["message"]
    assert list(templates_by_id(api)) == list(BUILTIN_IDS)


def test_patch_name_keeps_the_columns(api: Api) -> None:
    template = make_template(api)
    updated = api.patch(f"{URL}/{template['id']}", {"name": "Release v2"})
    assert (updated["id"], updated["name"], updated["columns"]) == (template["id"], "Release v2", RELEASE_COLUMNS)
    assert templates_by_id(api)[template["id"]] == updated


def test_patch_columns_replaces_them(api: Api, project: dict[str, Any]) -> None:
    template = make_template(api)
    columns = [{"name": "Todo", "columnType": "backlog"}, {"name": "Archive", "columnType": "archive"}]
    updated = api.patch(f"{URL}/{template['id']}", {"columns": columns})
    assert (updated["name"], updated["columns"]) == ("Release", columns)
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "B", "templateId": template["id"]}, expect=201)
    made = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")
    assert [(c["name"], c["columnType"]) for c in made] == [("Todo", "backlog"), ("Archive", "archive")]


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"name": ""}, "name", 400),
        ({"columns": []}, "columns", 400),
        ({"columns": [{"name": "A"}]}, "columns.0.columnType", 400),
        ({"columns": [{"name": "A", "columnType": "active", "credentialId": "cred_missing"}]}, "cred_missing", 404),
    ],
    ids=["blank-name", "empty-columns", "column-without-type", "unknown-credential"],
)
def test_patch_invalid_changes_nothing(
    api: Api, client: FlaskClient, body: dict[str, Any], field: str, status: int
) -> None:
    template = make_template(api)
    err = error(client, "PATCH", f"{URL}/{template['id']}", body | {"name": body.get("name", "Renamed")}, status)
    assert field in err["message"]
    assert templates_by_id(api)[template["id"]] == template


def test_delete_user_template(api: Api, client: FlaskClient, project: dict[str, Any]) -> None:
    template = make_template(api)
    assert api.delete(f"{URL}/{template['id']}") is None
    assert list(templates_by_id(api)) == list(BUILTIN_IDS)
    err = error(client, "POST", f"/api/projects/{project['id']}/boards", {"name": "B", "templateId": template["id"]},
                status=404)
    assert err["code"] == "not_found" and template["id"] in err["message"]


def test_boards_made_from_a_template_outlive_it(api: Api, project: dict[str, Any]) -> None:
    template = make_template(api)
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "B", "templateId": template["id"]}, expect=201)
    api.delete(f"{URL}/{template['id']}")
    made = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")
    assert [c["name"] for c in made] == ["Ideas", "Build", "Ship"]


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"name": "X"}), ("DELETE", None)])
def test_unknown_template_is_404(client: FlaskClient, method: str, body: Any) -> None:
    err = error(client, method, f"{URL}/tpl_missing", body, status=404)
    assert err["code"] == "not_found" and "tpl_missing" in err["message"]


def test_a_prompt_that_is_not_a_valid_template_is_refused(api: Api, client: FlaskClient) -> None:
    body = {"name": "Broken", "columns": [{"name": "Go", "columnType": "active", "prompt": "{% if %}"}]}
    err = error(client, "POST", "/api/board-templates", body)
    assert err["code"] == "validation_error" and "prompt" in err["message"]
    assert "Broken" not in {t["name"] for t in api.get("/api/board-templates")}


def test_a_deleted_credential_is_dropped_from_boards_made_later(api: Api, project: dict[str, Any]) -> None:
    cred = api.post("/api/credentials", {"name": "k", "provider": "anthropic", "apiKey": "sk-ant-0123456789abcdef"},
                    expect=201)
    template = make_template(api, "Keyed", [{"name": "Run", "columnType": "active", "credentialId": cred["id"]}])
    api.delete(f"/api/credentials/{cred['id']}")
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "Later", "templateId": template["id"]},
                     expect=201)
    columns = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")
    assert [(c["name"], c["credentialId"]) for c in columns] == [("Run", None)]
