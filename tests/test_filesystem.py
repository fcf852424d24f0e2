"""Browsing directories and reading project files through the API, inside the contract's fences.

The browse root is the test's own directory (the setting `filesystem.browse_root`; the home
directory by default), which also holds the data directory, so the data directory's exclusion
is tested too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from orchestrator.config import Settings, load_settings
from tests.conftest import Api, Users, git

READ_LIMIT = 1000


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "filesystem.browse_root": str(tmp_path),
        "filesystem.max_read_bytes": READ_LIMIT})


@pytest.fixture
def tree(tmp_path: Path, make_repo: Any) -> Path:
    """tmp_path/: repos/repo (a project), notes/, .ssh/, file.txt, links in and out, data/."""
    repo = make_repo("repo", {"README.md": "# hello\n", "src/app.py": "print('hi')\n", ".env": "KEY=secret\n",
                              "big.txt": "x" * (READ_LIMIT + 1)})
    (repo / "bin.dat").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "private.txt").write_text("not in a project\n")
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rsa").write_text("PRIVATE KEY\n")
    (tmp_path / "file.txt").write_text("a file, not a directory\n")
    (tmp_path / "link-in").symlink_to(tmp_path / "notes")
    (tmp_path / "link-out").symlink_to("/usr")
    (repo / "escape").symlink_to(tmp_path / "notes" / "private.txt")
    (repo / "to-data").symlink_to(tmp_path / "data")
    return tmp_path


def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


# Browse ----------------------------------------------------------------------------------------


def test_browse_lists_directory_names_only(api: Api, tree: Path) -> None:
    listing = api.get("/api/filesystem/browse")
    assert listing["path"] == str(tree.resolve())
    assert listing["parent"] is None
    names = [d["name"] for d in listing["directories"]]
    assert names == ["link-in", "notes", "repos"]  # no dot directories, files, data dir or links out

    repos = api.get("/api/filesystem/browse", query_string={"path": "repos"})
    assert repos["directories"] == [{"name": "repo", "path": str(tree.resolve() / "repos" / "repo"), "isGitRepo": True}]
    assert repos["parent"] == str(tree.resolve())
    assert api.get("/api/filesystem/browse", query_string={"path": str(tree / "repos")}) == repos


@pytest.mark.parametrize(("path", "status"), [
    ("/etc", 403),
    ("..", 403),
    ("link-out", 403),           # a symlink is followed before the check
    (".ssh", 403),
    ("notes/../.ssh", 403),
    ("data", 403),               # the data directory
    ("repos/repo/.git", 403),
    ("missing", 404),
    ("file.txt", 400),
    ("a\x00b", 400),
])
def test_browse_stays_inside_its_fence(client: FlaskClient, tree: Path, path: str, status: int) -> None:
    error = error_of(client.get("/api/filesystem/browse", query_string={"path": path}), status)
    if status == 403:
        assert error["code"] == "path_not_allowed"


# Read ------------------------------------------------------------------------------------------


@pytest.fixture
def project(api: Api, tree: Path) -> dict[str, Any]:
    return api.post("/api/projects", {"name": "Fenced", "path": str(tree / "repos" / "repo")}, expect=201)


def test_read_returns_a_project_file(api: Api, tree: Path, project: dict[str, Any]) -> None:
    path = tree / "repos" / "repo" / "src" / "app.py"
    data = api.get("/api/filesystem/read", query_string={"path": str(path)})
    assert data == {"path": str(path.resolve()), "projectId": project["id"], "size": 12, "content": "print('hi')\n"}


@pytest.mark.parametrize(("relative", "status", "code"), [
    ("repos/repo/.env", 403, "path_not_allowed"),
    ("repos/repo/.git/config", 403, "path_not_allowed"),
    ("repos/repo/escape", 403, "path_not_allowed"),        # a link to a file outside every project
    ("repos/repo/to-data/secret.key", 403, "path_not_allowed"),  # a link into the data directory
    ("data/secret.key", 403, "path_not_allowed"),
    ("notes/private.txt", 403, "path_not_allowed"),
    ("notes/missing.txt", 403, "path_not_allowed"),        # outside: existence is not revealed
    ("repos/repo/missing.txt", 404, "not_found"),
    ("repos/repo/src", 400, "validation_error"),
    ("repos/repo/big.txt", 413, "payload_too_large"),
    ("repos/repo/bin.dat", 400, "binary_file"),
])
def test_read_is_confined_to_project_files(client: FlaskClient, tree: Path, project: dict[str, Any],
                                           relative: str, status: int, code: str) -> None:
    error = error_of(client.get("/api/filesystem/read", query_string={"path": str(tree / relative)}), status)
    assert error["code"] == code


@pytest.mark.parametrize("path", ["README.md", "", "a\x00b"])
def test_read_needs_an_absolute_path(client: FlaskClient, project: dict[str, Any], path: str) -> None:
    error_of(client.get("/api/filesystem/read", query_string={"path": path}), 400)


def test_the_data_directory_is_refused_even_inside_a_project(api: Api, client: FlaskClient, tmp_path: Path,
                                                             database_url: str, make_repo: Any) -> None:
    from web import create_app

    repo = make_repo("holder")
    inside = load_settings(None, data_dir=repo / "sydata", **{"database.url": database_url,
                                                                  "filesystem.browse_root": str(tmp_path)})
    app = create_app(inside)
    try:
        other = Api(app.test_client())
        other.post("/api/projects", {"name": "Holder", "path": str(repo)}, expect=201)
        response = other.client.get("/api/filesystem/read", query_string={"path": str(repo / "sydata" / "secret.key")})
        assert "data directory" in error_of(response, 403)["message"]
    finally:
        app.extensions["switchyard"].close()


# Who may look ----------------------------------------------------------------------------------


def test_read_follows_project_visibility(api: Api, users: Users, tree: Path) -> None:
    root = users.setup_admin()
    owner, _ = users.register("owner@example.com")
    stranger, _ = users.register("stranger@example.com")
    users.enable_auth(root)
    api.as_user(owner).post("/api/projects", {"name": "Owned", "path": str(tree / "repos" / "repo")}, expect=201)
    readme = {"path": str(tree / "repos" / "repo" / "README.md")}

    assert api.as_user(owner).get("/api/filesystem/read", query_string=readme)["content"] == "# hello\n"
    api.as_user(stranger).get("/api/filesystem/read", query_string=readme, expect=403)
    api.get("/api/filesystem/read", query_string=readme, expect=401)
    api.get("/api/filesystem/browse", expect=401)
    assert api.as_user(stranger).get("/api/filesystem/browse")["directories"]
    git(tree / "repos" / "repo", "status")  # the repository is untouched and usable
