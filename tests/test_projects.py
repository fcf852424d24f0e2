"""Projects: registering a repository, its first board, settings, files, credential and deletion."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Board, Card, Column, Project
from tests.conftest import Api, git

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
KANBAN_DEFAULT = [("Backlog", "backlog"), ("In Progress", "active"), ("Done", "done")]
AGENT_PIPELINE = [("Backlog", "backlog"), ("Plan", "active"), ("Implement", "active"),
                  ("Review", "active"), ("Done", "done")]


def error(client: FlaskClient, method: str, path: str, json: Any = None, status: int = 400) -> dict[str, Any]:
    """The `error` object of a request expected to fail with `status`."""
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    return body["error"]


def column_shape(api: Api, project_id: str) -> list[tuple[str, str]]:
    return [(c["name"], c["columnType"]) for c in api.get(f"/api/projects/{project_id}/columns")]


def count_rows(app: Any, model: type, project_id: str) -> int:
    with app.extensions["switchyard"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.project_id == project_id))


def create_credential(api: Api, name: str = "work key") -> dict[str, Any]:
    return api.post("/api/credentials", {"name": name, "provider": "anthropic", "apiKey": "sk-ant-test-123"},
                    expect=201)


# Creating --------------------------------------------------------------------------------------


def test_create_answers_201_with_the_project(api: Api, repo: Path) -> None:
    project = api.post("/api/projects", {"name": "My App", "path": str(repo), "description": "the app"},
                       expect=201)
    assert project["id"].startswith("proj_")
    assert project["name"] == "My App"
    assert project["path"] == str(repo.resolve())
    assert project["description"] == "the app"
    assert project["baseBranch"] == "main"
    assert project["defaultCredentialId"] is None
    assert project["usage"]["costUsd"] == 0
    assert ISO_MS_Z.match(project["createdAt"]) and ISO_MS_Z.match(project["updatedAt"])


def test_base_branch_is_the_checked_out_branch(api: Api, make_repo: Callable[..., Path]) -> None:
    trunk = make_repo("trunk-repo", branch="trunk")
    project = api.post("/api/projects", {"name": "Trunk", "path": str(trunk)}, expect=201)
    assert project["baseBranch"] == "trunk"


def test_first_board_is_main_board_with_kanban_default_columns(api: Api, repo: Path) -> None:
    project = api.post("/api/projects", {"name": "App", "path": str(repo)}, expect=201)
    boards = api.get(f"/api/projects/{project['id']}/boards")
    assert [(b["name"], b["position"]) for b in boards] == [("Main Board", 0)]
    assert column_shape(api, project["id"]) == KANBAN_DEFAULT


def test_template_id_picks_the_first_boards_columns(api: Api, repo: Path) -> None:
    project = api.post("/api/projects", {"name": "App", "path": str(repo), "templateId": "tpl_agent_pipeline"},
                       expect=201)
    assert column_shape(api, project["id"]) == AGENT_PIPELINE


def test_relative_path_is_refused(client: FlaskClient) -> None:
    err = error(client, "POST", "/api/projects", {"name": "App", "path": "repos/app"})
    assert err["code"] == "validation_error"
    assert "path" in err["message"] and "absolute" in err["message"]


@pytest.mark.parametrize(
    ("make_path", "says"),
    [
        (lambda root: root / "nowhere", "does not exist"),
        (lambda root: root, "not a git repository"),
        (lambda root: root / "file.txt", "not a directory"),
    ],
    ids=["missing", "not-a-repo", "a-file"],
)
def test_unusable_path_is_refused_as_invalid_repository(
    api: Api, client: FlaskClient, tmp_path: Path, make_path: Callable[[Path], Path], says: str
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "file.txt").write_text("text\n")
    err = error(client, "POST", "/api/projects", {"name": "App", "path": str(make_path(plain))})
    assert err["code"] == "invalid_repository"
    assert err["message"].startswith("path:") and says in err["message"]
    assert api.get("/api/projects") == []


def test_a_folder_inside_a_repository_is_not_a_project(
    client: FlaskClient, make_repo: Callable[..., Path]
) -> None:
    path = make_repo("outer", {"src/app.py": "print(1)\n"})
    err = error(client, "POST", "/api/projects", {"name": "App", "path": str(path / "src")})
    assert err["code"] == "invalid_repository" and "not a git repository" in err["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"path": "/tmp"}, "name"),
        ({"name": "   ", "path": "/tmp"}, "name"),
        ({"name": "App"}, "path"),
        ({"name": "App", "path": ""}, "path"),
    ],
    ids=["name-missing", "name-blank", "path-missing", "path-empty"],
)
def test_missing_fields_are_named(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    err = error(client, "POST", "/api/projects", body)
    assert err["code"] == "validation_error"
    assert field in err["message"]


def test_body_that_is_not_json_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/projects", data="{name: oops", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_body"
    assert "JSON" in response.get_json()["error"]["message"]


def test_unknown_template_writes_nothing(api: Api, client: FlaskClient, repo: Path) -> None:
    err = error(client, "POST", "/api/projects", {"name": "App", "path": str(repo), "templateId": "tpl_nope"},
                status=404)
    assert err["code"] == "not_found" and "tpl_nope" in err["message"]
    assert api.get("/api/projects") == []


# Reading ---------------------------------------------------------------------------------------


def test_list_and_get(api: Api, make_repo: Callable[..., Path]) -> None:
    first = api.post("/api/projects", {"name": "First", "path": str(make_repo("a"))}, expect=201)
    second = api.post("/api/projects", {"name": "Second", "path": str(make_repo("b"))}, expect=201)
    listed = api.get("/api/projects")
    assert [p["id"] for p in listed] == [first["id"], second["id"]]
    assert listed[0] == api.get(f"/api/projects/{first['id']}")
    assert api.get(f"/api/projects/{second['id']}")["name"] == "Second"


def test_unknown_project_is_404(client: FlaskClient) -> None:
    err = error(client, "GET", "/api/projects/proj_missing", status=404)
    assert err["code"] == "not_found" and "proj_missing" in err["message"]


# Updating --------------------------------------------------------------------------------------


def test_patch_changes_the_given_fields_only(api: Api, project: dict[str, Any]) -> None:
    changes = {"name": "Renamed", "description": "new words", "worktreeInclude": [".env", "config/*.local"],
               "maxConcurrentSessions": 3}
    updated = api.patch(f"/api/projects/{project['id']}", changes)
    for key, value in changes.items():
        assert updated[key] == value
    assert updated["path"] == project["path"] and updated["baseBranch"] == project["baseBranch"]
    assert api.get(f"/api/projects/{project['id']}") == updated


@pytest.mark.parametrize("field", ["name", "description", "baseBranch", "worktreeInclude"])
def test_patch_null_for_a_required_field_keeps_its_value(api: Api, project: dict[str, Any], field: str) -> None:
    url = f"/api/projects/{project['id']}"
    api.patch(url, {"description": "kept", "worktreeInclude": [".env"]})
    before = api.get(url)
    assert api.patch(url, {field: None})[field] == before[field]
    assert api.get(url)[field] == before[field]


def test_patch_null_clears_the_optional_limits(api: Api, project: dict[str, Any]) -> None:
    url = f"/api/projects/{project['id']}"
    credential = create_credential(api)
    api.patch(url, {"maxConcurrentSessions": 2, "defaultCredentialId": credential["id"]})
    cleared = api.patch(url, {"maxConcurrentSessions": None, "defaultCredentialId": None})
    assert (cleared["maxConcurrentSessions"], cleared["defaultCredentialId"]) == (None, None)


def test_patch_base_branch_to_an_existing_branch(api: Api, project: dict[str, Any], repo: Path) -> None:
    git(repo, "branch", "develop")
    assert api.patch(f"/api/projects/{project['id']}", {"baseBranch": "develop"})["baseBranch"] == "develop"


def test_patch_base_branch_that_does_not_exist_changes_nothing(
    api: Api, client: FlaskClient, project: dict[str, Any]
) -> None:
    err = error(client, "PATCH", f"/api/projects/{project['id']}", {"name": "Renamed", "baseBranch": "no-such"})
    assert err["code"] == "validation_error"
    assert "baseBranch" in err["message"] and "no-such" in err["message"]
    assert api.get(f"/api/projects/{project['id']}") == project


@pytest.mark.parametrize("value", [1, 100])
def test_max_concurrent_sessions_accepts_its_bounds(api: Api, project: dict[str, Any], value: int) -> None:
    updated = api.patch(f"/api/projects/{project['id']}", {"maxConcurrentSessions": value})
    assert updated["maxConcurrentSessions"] == value


@pytest.mark.parametrize("value", [0, -1, 101, "many"])
def test_max_concurrent_sessions_out_of_bounds_is_refused(
    api: Api, client: FlaskClient, project: dict[str, Any], value: Any
) -> None:
    err = error(client, "PATCH", f"/api/projects/{project['id']}", {"name": "Renamed", "maxConcurrentSessions": value})
    assert err["code"] == "validation_error" and "maxConcurrentSessions" in err["message"]
    assert api.get(f"/api/projects/{project['id']}")["name"] == "Demo"


def test_patch_unknown_default_credential_is_404_and_changes_nothing(
    api: Api, client: FlaskClient, project: dict[str, Any]
) -> None:
    err = error(client, "PATCH", f"/api/projects/{project['id']}",
                {"name": "Renamed", "defaultCredentialId": "cred_missing"}, status=404)
    assert err["code"] == "not_found" and "cred_missing" in err["message"]
    after = api.get(f"/api/projects/{project['id']}")
    assert (after["name"], after["defaultCredentialId"]) == ("Demo", None)


def test_patch_unknown_project_is_404(client: FlaskClient) -> None:
    assert error(client, "PATCH", "/api/projects/proj_missing", {"name": "x"}, status=404)["code"] == "not_found"


# Deleting --------------------------------------------------------------------------------------


def test_delete_removes_the_project_with_its_boards_columns_and_cards(
    api: Api, app: Any, client: FlaskClient, project: dict[str, Any], columns: dict[str, dict[str, Any]]
) -> None:
    pid = project["id"]
    card = api.post(f"/api/projects/{pid}/cards", {"title": "Fix it", "columnId": columns["Backlog"]["id"]},
                    expect=201)
    assert api.delete(f"/api/projects/{pid}") is None

    for path in (f"/api/projects/{pid}", f"/api/projects/{pid}/boards", f"/api/projects/{pid}/columns",
                 f"/api/projects/{pid}/cards/{card['id']}"):
        assert error(client, "GET", path, status=404)["code"] == "not_found"
    assert api.get("/api/projects") == []
    for model in (Board, Column, Card):
        assert count_rows(app, model, pid) == 0, model.__name__
    with app.extensions["switchyard"].sessions() as session:
        assert session.get(Project, pid) is None


def test_delete_unknown_project_is_404(client: FlaskClient) -> None:
    assert error(client, "DELETE", "/api/projects/proj_missing", status=404)["code"] == "not_found"


# Files -----------------------------------------------------------------------------------------


def test_files_lists_exactly_the_tracked_files(api: Api, make_repo: Callable[..., Path]) -> None:
    path = make_repo("files", {"README.md": "# hi\n", "src/app.py": "print(1)\n", ".gitignore": "*.log\nbuild/\n"})
    (path / "untracked.txt").write_text("not added\n")
    (path / "debug.log").write_text("ignored\n")
    (path / "build").mkdir()
    (path / "build" / "out.bin").write_text("ignored\n")
    project = api.post("/api/projects", {"name": "Files", "path": str(path)}, expect=201)

    files = api.get(f"/api/projects/{project['id']}/files")
    assert sorted(files) == [".gitignore", "README.md", "src/app.py"]


def test_files_of_unknown_project_is_404(client: FlaskClient) -> None:
    assert error(client, "GET", "/api/projects/proj_missing/files", status=404)["code"] == "not_found"


# Credential ------------------------------------------------------------------------------------


def test_put_credential_sets_and_null_clears_the_default(api: Api, project: dict[str, Any]) -> None:
    credential = create_credential(api)
    url = f"/api/projects/{project['id']}/credential"

    assert api.put(url, {"credentialId": credential["id"]})["defaultCredentialId"] == credential["id"]
    assert api.get(f"/api/projects/{project['id']}")["defaultCredentialId"] == credential["id"]

    assert api.put(url, {"credentialId": None})["defaultCredentialId"] is None
    assert api.get(f"/api/projects/{project['id']}")["defaultCredentialId"] is None


def test_put_unknown_credential_is_404_and_keeps_the_old_one(
    api: Api, client: FlaskClient, project: dict[str, Any]
) -> None:
    credential = create_credential(api)
    url = f"/api/projects/{project['id']}/credential"
    api.put(url, {"credentialId": credential["id"]})

    err = error(client, "PUT", url, {"credentialId": "cred_missing"}, status=404)
    assert err["code"] == "not_found" and "cred_missing" in err["message"]
    assert api.get(f"/api/projects/{project['id']}")["defaultCredentialId"] == credential["id"]


def test_put_credential_without_the_field_is_refused(client: FlaskClient, project: dict[str, Any]) -> None:
    err = error(client, "PUT", f"/api/projects/{project['id']}/credential", {})
    assert err["code"] == "validation_error" and "credentialId" in err["message"]
