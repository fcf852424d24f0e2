"""Shared fixtures: real databases, real git repositories, real servers.

The database is a fresh SQLite file per test (copied from one migrated template), or, when
SWITCHYARD_TEST_DATABASE_URL is set, that PostgreSQL database emptied before each test. Under
pytest-xdist each worker gets a database of its own beside it (`test_gw0`, `test_gw1`, …), made
on first use, so workers never empty each other's tables.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from models import Base, make_engine
from models.migrate import upgrade
from orchestrator.config import Settings, load_settings
from web import create_app


def _worker_url(url: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


PG_URL = _worker_url(os.environ.get("SWITCHYARD_TEST_DATABASE_URL", ""))
PROVIDER_ENV = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (a file per test)'}"


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests reach models only through fakes; a real key in the environment must not leak in."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("SWITCHYARD_") and name != "SWITCHYARD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    if PG_URL:
        _create_postgres_database(PG_URL)
        upgrade(PG_URL)
        return None
    path = tmp_path_factory.mktemp("template") / "switchyard.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, _template_db: Path | None) -> str:
    if PG_URL:
        _empty_postgres(PG_URL)
        return PG_URL
    target = tmp_path / "data" / "switchyard.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_template_db, target)  # type: ignore[arg-type]
    return f"sqlite:///{target}"


def _create_postgres_database(url: str) -> None:
    """The worker's own database, made through the server's `postgres` database when missing."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{"database.url": database_url})


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    application.extensions["switchyard"].close()


@pytest.fixture
def client(app: Any) -> FlaskClient:
    return app.test_client()


# Git repositories ------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return result.stdout


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo(name, files={path: content}, branch="main") -> a git repo with one commit."""

    def make(name: str = "repo", files: dict[str, str] | None = None, branch: str = "main") -> Path:
        path = tmp_path / "repos" / name
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", branch)
        for rel, content in (files or {"README.md": "# test\n"}).items():
            (path / rel).parent.mkdir(parents=True, exist_ok=True)
            (path / rel).write_text(content)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
        return path

    return make


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo()


# API helpers -----------------------------------------------------------------------------------


@dataclass
class Api:
    """Calls the native API and checks the status; returns the `data` of the envelope."""

    client: FlaskClient
    token: str | None = None

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: expected {expect}, got {response.status_code}: {response.get_data(as_text=True)}"
        )
        if response.status_code == 204:
            assert response.get_data() == b""
            return None
        body = response.get_json()
        return body.get("data", body) if isinstance(body, dict) else body

    def get(self, path: str, expect: int = 200, **kw: Any) -> Any:
        return self.call("GET", path, expect, **kw)

    def post(self, path: str, json: Any = None, expect: int = 200, **kw: Any) -> Any:
        return self.call("POST", path, expect, json=json, **kw)

    def patch(self, path: str, json: Any = None, expect: int = 200, **kw: Any) -> Any:
        return self.call("PATCH", path, expect, json=json, **kw)

    def put(self, path: str, json: Any = None, expect: int = 200, **kw: Any) -> Any:
        return self.call("PUT", path, expect, json=json, **kw)

    def delete(self, path: str, expect: int = 204, **kw: Any) -> Any:
        return self.call("DELETE", path, expect, **kw)

    def as_user(self, token: str | None) -> Api:
        return Api(self.client, token)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)


@pytest.fixture
def project(api: Api, repo: Path) -> dict[str, Any]:
    """A project on a fresh repository, with the Agent Pipeline board."""
    return api.post("/api/projects", {"name": "Demo", "path": str(repo), "templateId": "tpl_agent_pipeline"},
                    expect=201)


@pytest.fixture
def columns(api: Api, project: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The project's columns by name."""
    return {c["name"]: c for c in api.get(f"/api/projects/{project['id']}/columns")}


# Users and roles -------------------------------------------------------------------------------


@dataclass
class Users:
    """Creates users through the API (setup, register) and sets roles in the database."""

    api: Api
    app: Any

    def setup_admin(self, email: str = "root@example.com", password: str = "correct-horse-1") -> str:
        return self.api.post("/api/auth/setup", {"email": email, "password": password}, expect=201)["token"]

    def register(self, email: str, role: str = "user", password: str = "correct-horse-1") -> tuple[str, str]:
        data = self.api.post("/api/auth/register", {"email": email, "password": password}, expect=201)
        if role != "user":
            self.set_role(data["user"]["id"], role)
        return data["token"], data["user"]["id"]

    def set_role(self, user_id: str, role: str) -> None:
        from models import User

        with self.app.extensions["switchyard"].transaction() as session:
            session.get(User, user_id).role = role

    def enable_auth(self, token: str) -> None:
        self.api.as_user(token).put("/api/settings/auth", {"enabled": True})


@pytest.fixture
def users(api: Api, app: Any) -> Users:
    return Users(api, app)


# A real server process -------------------------------------------------------------------------


REDIS = ("127.0.0.1", 6379)


def redis_answers() -> bool:
    """The machine's Redis (rate limits shared between processes, the Celery broker)."""
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(data_dir: Path, *args: str, env: dict[str, str] | None = None,
                 command: str = "serve", timeout: float = 30.0) -> Server:
    port = free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", command, "--data-dir", str(data_dir),
         "--port", str(port), *args],
        stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})}, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/api/health", timeout=1).ok:
                return Server(url, process, log_path)
        except (requests.ConnectionError, requests.Timeout):  # still booting
            time.sleep(0.1)
    stop_server(process)
    raise AssertionError(f"server did not answer within {timeout}s:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


@pytest.fixture
def live_server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    env = {"SWITCHYARD_DATABASE_URL": database_url}
    server = start_server(tmp_path / "data", env=env)
    yield server
    stop_server(server.process)
