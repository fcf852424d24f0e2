"""Backups through the API, the offline restore through the CLI, and the instance's data export.

Backups are SQLite's; on PostgreSQL the API says pg_dump is the tool. The restore runs the real
`switchyard db restore` in a subprocess, against the files the API made.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PG_URL, Api, Users, start_server, stop_server

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="backups and restore are SQLite's; see the PostgreSQL test")


def switchyard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def project_names(database: Path) -> set[str]:
    with sqlite3.connect(database) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM projects")}


# Backups ---------------------------------------------------------------------------------------


@sqlite_only
def test_a_backup_is_a_consistent_copy_listed_and_downloadable(api: Api, client: FlaskClient, settings: Any,
                                                               repo: Path) -> None:
    api.post("/api/projects", {"name": "Kept", "path": str(repo)}, expect=201)
    made = api.post("/api/backups", expect=201)
    assert made["filename"].startswith("switchyard-") and made["filename"].endswith(".db")
    file = settings.data_dir / "backups" / made["filename"]
    assert made["size"] == file.stat().st_size > 0
    assert project_names(file) == {"Kept"}
    assert not file.with_name(file.name + "-wal").exists()  # one self-contained file
    with sqlite3.connect(file) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    assert api.get("/api/backups") == [made]
    response = client.get(f"/api/backups/{made['filename']}")
    assert response.status_code == 200
    assert response.data == file.read_bytes()
    assert response.headers["Content-Disposition"] == f"attachment; filename={made['filename']}"


@sqlite_only
def test_backups_are_listed_newest_first(api: Api) -> None:
    first = api.post("/api/backups", expect=201)
    second = api.post("/api/backups", expect=201)
    assert [b["filename"] for b in api.get("/api/backups")][:2] == [second["filename"], first["filename"]]


@sqlite_only
@pytest.mark.parametrize(("name", "status"), [
    ("secret.key", 400),             # not a backup's name
    ("switchyard.db.partial", 400),
    (".hidden.db", 400),
    ("..%2Fswitchyard.db", 404),     # a slash never reaches the route
    ("..", 400),
    ("missing.db", 404),
])
def test_only_backup_files_can_be_downloaded(client: FlaskClient, settings: Any, name: str, status: int) -> None:
    (settings.data_dir / "backups").mkdir(exist_ok=True)
    response = client.get(f"/api/backups/{name}")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and "error" in response.get_json()


@sqlite_only
def test_a_symlink_out_of_the_backup_folder_is_not_followed(client: FlaskClient, settings: Any) -> None:
    folder = settings.data_dir / "backups"
    folder.mkdir(exist_ok=True)
    (folder / "escape.db").symlink_to(settings.data_dir / "switchyard.db")
    response = client.get("/api/backups/escape.db")
    assert response.status_code == 400
    assert b"SQLite format" not in response.data


@pytest.mark.skipif(not PG_URL, reason="SWITCHYARD_TEST_DATABASE_URL (PostgreSQL) not set")
def test_on_postgresql_backups_point_to_pg_dump(client: FlaskClient) -> None:
    response = client.post("/api/backups")
    assert response.status_code == 501
    error = response.get_json()["error"]
    assert error["code"] == "not_supported"
    assert "pg_dump" in error["message"]


def test_only_the_super_admin_makes_and_downloads_backups(api: Api, users: Users) -> None:
    root = users.setup_admin()
    admin, _ = users.register("admin@example.com", role="admin")
    user, _ = users.register("user@example.com")
    users.enable_auth(root)
    for token, expected in ((None, 401), (user, 403), (admin, 403)):
        caller = api.as_user(token)
        caller.post("/api/backups", expect=expected)
        caller.get("/api/backups", expect=expected)
        caller.get("/api/backups/switchyard-20300101-000000-000000.db", expect=expected)
        caller.post("/api/export", expect=expected)
    api.as_user(root).get("/api/backups")


# Restore ---------------------------------------------------------------------------------------


@sqlite_only
def test_restore_round_trip(api: Api, app: Any, settings: Any, make_repo: Any) -> None:
    api.post("/api/projects", {"name": "Before", "path": str(make_repo("before"))}, expect=201)
    backup = settings.data_dir / "backups" / api.post("/api/backups", expect=201)["filename"]
    api.post("/api/projects", {"name": "After", "path": str(make_repo("after"))}, expect=201)
    app.extensions["switchyard"].close()  # the service is stopped

    result = switchyard("db", "restore", str(backup), "--data-dir", str(settings.data_dir), "--yes")

    assert result.returncode == 0, result.stderr
    assert project_names(settings.data_dir / "switchyard.db") == {"Before"}
    kept = [p for p in (settings.data_dir / "backups").glob("pre-restore-*.db")]
    assert len(kept) == 1 and project_names(kept[0]) == {"Before", "After"}
    assert str(kept[0]) in result.stdout
    assert not (settings.data_dir / "switchyard.db-wal").exists() or \
        (settings.data_dir / "switchyard.db-wal").stat().st_size == 0


@sqlite_only
def test_restore_refuses_while_a_server_runs(api: Api, app: Any, settings: Any, repo: Path) -> None:
    api.post("/api/projects", {"name": "Live", "path": str(repo)}, expect=201)
    backup = settings.data_dir / "backups" / api.post("/api/backups", expect=201)["filename"]
    app.extensions["switchyard"].close()
    server = start_server(settings.data_dir)
    try:
        result = switchyard("db", "restore", str(backup), "--data-dir", str(settings.data_dir), "--yes")
        assert result.returncode == 1
        assert "running" in result.stderr and "stop it" in result.stderr
    finally:
        stop_server(server.process)
    result = switchyard("db", "restore", str(backup), "--data-dir", str(settings.data_dir), "--yes")
    assert result.returncode == 0, result.stderr


def _not_sqlite(path: Path) -> None:
    path.write_text("just text, long enough to have a header-sized start\n")


def _foreign_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")


def _future_revision(path: Path, template: Path) -> None:
    path.write_bytes(template.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")


@sqlite_only
@pytest.mark.parametrize(("make", "message"), [
    (None, "no such file"),
    (_not_sqlite, "not an SQLite database"),
    (_foreign_sqlite, "not a Switchyard database"),
    (_future_revision, "does not know"),
])
def test_restore_refuses_what_is_not_a_known_switchyard_database(app: Any, settings: Any, tmp_path: Path,
                                                                 make: Any, message: str) -> None:
    app.extensions["switchyard"].close()
    live = settings.data_dir / "switchyard.db"
    before = live.read_bytes()
    candidate = tmp_path / "candidate.db"
    if make is _future_revision:
        make(candidate, live)
    elif make is not None:
        make(candidate)

    result = switchyard("db", "restore", str(candidate), "--data-dir", str(settings.data_dir), "--yes")

    assert result.returncode == 1
    assert message in result.stderr
    assert live.read_bytes() == before
    assert not list(settings.data_dir.glob("*.restoring"))


def test_restore_on_postgresql_names_its_tools(tmp_path: Path) -> None:
    result = switchyard("db", "restore", str(tmp_path / "x.db"), "--data-dir", str(tmp_path / "data"), "--yes",
                        env={"SWITCHYARD_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"})
    assert result.returncode == 1
    assert "pg_restore" in result.stderr


# The instance's data export --------------------------------------------------------------------


def test_the_export_holds_the_data_and_no_secret(api: Api, client: FlaskClient, users: Users, repo: Path) -> None:
    root = users.setup_admin(password="correct-horse-1")
    owner = api.as_user(root)
    project = owner.post("/api/projects", {"name": "Exported", "path": str(repo)}, expect=201)
    owner.post(f"/api/projects/{project['id']}/cards", {"title": "A card"}, expect=201)
    owner.post("/api/credentials", {"name": "Key", "provider": "anthropic",
                                    "apiKey": "sk-ant-export-secret-0123456789"}, expect=201)
    owner.put("/api/settings/log-export", {"url": "http://127.0.0.1:9/x", "token": "log-token-secret"})
    owner.post("/api/settings/oidc", {"issuerUrl": "https://idp.example.com", "clientId": "c",
                                      "clientSecret": "oidc-client-secret"})

    response = client.post("/api/export", headers={"Authorization": f"Bearer {root}"})

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="switchyard-export-')
    text = response.get_data(as_text=True)
    document = json.loads(text)
    assert document["format"] == "switchyard-export"
    tables = document["tables"]
    assert [p["name"] for p in tables["projects"]] == ["Exported"]
    assert [c["title"] for c in tables["cards"]] == ["A card"]
    assert [u["email"] for u in tables["users"]] == ["root@example.com"]
    assert {s["key"] for s in tables["settings"]} >= {"oidc", "logExport"}
    for secret in ("sk-ant-export-secret", "log-token-secret", "oidc-client-secret", "$argon2", root):
        assert secret not in text
    for leaked_field in ("passwordHash", "secretEncrypted", "keyHash", "tokenEncrypted", "clientSecretEncrypted"):
        assert leaked_field not in text
