"""The service's own log: JSON lines in the data directory, rotated, read back and exported.

A real server writes the log (`start_server`); the API reads it back. Log export goes to a
small HTTP collector on loopback standing in for a log aggregator's intake.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from orchestrator.logs import redact
from tests.conftest import Api, Server, Users, free_port, start_server, stop_server

# A log aggregator's HTTP intake ----------------------------------------------------------------


@dataclass
class Collector:
    status: int = 200
    received: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/intake"

    def entries(self) -> list[dict[str, Any]]:
        return [entry for _, batch in self.received for entry in batch]


@pytest.fixture
def collector() -> Iterator[Collector]:
    state = Collector()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.received.append((dict(self.headers), json.loads(body)))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    yield state
    state.server.shutdown()
    state.server.server_close()


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s")


# A real server writing its log -----------------------------------------------------------------


@pytest.fixture
def run_server(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def run(**env: str) -> Server:
        server = start_server(tmp_path / "data", env={"SWITCHYARD_DATABASE_URL": database_url, **env})
        started.append(server)
        return server

    yield run
    for server in started:
        stop_server(server.process)


def call(server: Server, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
    response = requests.request(method, f"{server.url}{path}", timeout=30, **kwargs)
    assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()["data"] if response.content else None


def upload_attachments(server: Server, repo: Path, count: int) -> None:
    """Each stored attachment writes an info line to the log."""
    project = call(server, "POST", "/api/projects", 201, json={"name": "Logged", "path": str(repo)})
    card = call(server, "POST", f"/api/projects/{project['id']}/cards", 201, json={"title": "Card"})
    for n in range(count):
        call(server, "POST", f"/api/projects/{project['id']}/cards/{card['id']}/attachments", 201,
             files={"file": (f"note-{n}.txt", b"hello", "text/plain")})


def test_the_log_is_json_lines_read_back_newest_first(run_server: Callable[..., Server], repo: Path,
                                                      tmp_path: Path) -> None:
    server = run_server()
    upload_attachments(server, repo, 3)

    entries = call(server, "GET", "/api/logs")
    assert entries, "the server wrote nothing to its log"
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert {"timestamp", "level", "logger", "process", "message"} <= set(entries[0])
    assert any("scheduler started" in e["message"] for e in entries)

    stored = call(server, "GET", "/api/logs", params={"search": "ATTACHMENT"})  # any case
    assert len(stored) == 3
    assert all(e["level"] == "info" and e["process"] == "serve" for e in stored)
    assert call(server, "GET", "/api/logs", params={"search": "attachment", "limit": 2}) == stored[:2]
    assert call(server, "GET", "/api/logs", params={"level": "warn", "search": "attachment"}) == []

    lines = (tmp_path / "data" / "logs" / "serve.log").read_text().splitlines()
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_the_log_rotates_and_is_read_across_its_files(run_server: Callable[..., Server], repo: Path,
                                                      tmp_path: Path) -> None:
    server = run_server(SWITCHYARD_LOGS_MAX_BYTES="10000", SWITCHYARD_LOGS_BACKUP_COUNT="3")
    upload_attachments(server, repo, 60)

    logs_dir = tmp_path / "data" / "logs"
    assert (logs_dir / "serve.log.1").exists()
    assert all(p.stat().st_size <= 10000 for p in logs_dir.glob("serve.log*"))
    stored = call(server, "GET", "/api/logs", params={"search": "stored", "limit": 1000})
    assert len(stored) == 60
    assert [e["timestamp"] for e in stored] == sorted((e["timestamp"] for e in stored), reverse=True)


def test_new_entries_are_exported_and_failures_are_logged(run_server: Callable[..., Server], repo: Path,
                                                          collector: Collector) -> None:
    server = run_server(SWITCHYARD_LOGS_EXPORT_INTERVAL_SECONDS="0.5")
    call(server, "PUT", "/api/settings/log-export",
         json={"enabled": True, "url": collector.url, "token": "intake-token-123"})
    upload_attachments(server, repo, 1)

    wait_for(lambda: any("stored" in e["message"] for e in collector.entries()))
    headers, _ = collector.received[0]
    assert headers["Authorization"] == "Bearer intake-token-123"
    assert not any("scheduler started" in e["message"] for e in collector.entries()), \
        "entries from before the export was enabled were sent"

    unreachable = f"http://127.0.0.1:{free_port()}/intake"
    call(server, "PUT", "/api/settings/log-export", json={"url": unreachable})
    upload_attachments(server, repo, 1)
    status = wait_for(lambda: call(server, "GET", "/api/settings/log-export")["lastError"])
    assert unreachable in status
    warnings = call(server, "GET", "/api/logs", params={"level": "warn"})
    assert any("log export failed" in e["message"] for e in warnings)
    assert all(e["level"] in ("warn", "error", "critical") for e in warnings)


# Reading, on files as the service writes them --------------------------------------------------


def write_log(data_dir: Path, name: str, entries: list[dict[str, Any]], extra_lines: tuple[str, ...] = ()) -> None:
    directory = data_dir / "logs"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(e) for e in entries] + list(extra_lines)
    (directory / name).write_text("\n".join(lines) + "\n")


def entry(second: int, level: str, message: str, process: str = "serve", **more: Any) -> dict[str, Any]:
    return {"timestamp": f"2030-01-01T00:00:{second:02d}.000000Z", "level": level, "logger": "test",
            "process": process, "message": message, **more}


def test_processes_and_rotated_files_merge_by_time(api: Api, settings: Any) -> None:
    write_log(settings.data_dir, "serve.log.1", [entry(1, "info", "one"), entry(3, "error", "three")])
    write_log(settings.data_dir, "serve.log", [entry(5, "warn", "five")], extra_lines=("{cut off",))
    write_log(settings.data_dir, "daemon.log", [entry(2, "info", "two", "daemon"),
                                                 entry(4, "debug", "four", "daemon", context={"card_id": "c1"})])

    assert [e["message"] for e in api.get("/api/logs")] == ["five", "four", "three", "two", "one"]
    assert [e["message"] for e in api.get("/api/logs?level=warn")] == ["five", "three"]
    assert [e["message"] for e in api.get("/api/logs?level=error")] == ["three"]
    assert [e["message"] for e in api.get("/api/logs?search=c1")] == ["four"]  # context is searched
    assert [e["message"] for e in api.get("/api/logs?limit=2")] == ["five", "four"]


def test_no_log_yet_is_an_empty_list(api: Api) -> None:
    assert api.get("/api/logs") == []


@pytest.mark.parametrize("query", ["level=loud", "limit=0", "limit=1001", "limit=many"])
def test_bad_filters_are_refused(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/logs?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("line", "secret"), [
    ("Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
    ("key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA failed", "sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAA"),
    ("openai sk-proj-abcdefghijklmnopqrstu rejected", "sk-proj-abcdefghijklmnopqrstu"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl", "eyJzdWIiOiJ1c2VyIn0"),
    ("api key ak_0123456789abcdefghij used", "ak_0123456789abcdefghij"),
    ("webhook whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ('{"password": "hunter2hunter2"}', "hunter2hunter2"),
    ("client_secret=abc123xyz&grant_type=x", "abc123xyz"),
    ("postgresql://switchyard:pa55word@db:5432/sy", "pa55word"),
])
def test_secrets_are_masked_in_log_lines(line: str, secret: str) -> None:
    masked = redact(line)
    assert secret not in masked
    assert "[redacted]" in masked


@pytest.mark.parametrize("line", ["session_id=sess_01J0000 ended: completed", "card_id=card_01J ok",
                                  "purged 12 events older than 7 days", "tokens in 1200, out 300"])
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert redact(line) == line


# Log export configuration ----------------------------------------------------------------------


def test_log_export_configuration_never_shows_the_token(api: Api, collector: Collector) -> None:
    assert api.get("/api/settings/log-export") == {"enabled": False, "url": None, "level": "info",
                                                   "hasToken": False, "lastExportAt": None, "lastError": None}
    shown = api.put("/api/settings/log-export", {"enabled": True, "url": collector.url, "level": "warn",
                                                 "token": "very-secret-token"})
    assert shown["enabled"] is True and shown["url"] == collector.url and shown["level"] == "warn"
    assert shown["hasToken"] is True
    assert "very-secret-token" not in json.dumps(api.get("/api/settings/log-export"))
    assert api.put("/api/settings/log-export", {"enabled": False})["url"] == collector.url  # the rest is kept
    assert api.put("/api/settings/log-export", {"token": None})["hasToken"] is False


@pytest.mark.parametrize(("body", "field_name"), [
    ({"enabled": True}, "url"),
    ({"url": "ftp://logs.example.com"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"level": "loud"}, "level"),
    ({"enabled": "sometimes"}, "enabled"),
])
def test_bad_log_export_settings_are_refused(client: FlaskClient, body: dict[str, Any], field_name: str) -> None:
    response = client.put("/api/settings/log-export", json=body)
    assert response.status_code == 400
    assert field_name in response.get_json()["error"]["message"]


def test_the_export_test_sends_a_sample(api: Api, collector: Collector) -> None:
    api.put("/api/settings/log-export", {"url": collector.url, "token": "t0ken-value"})
    result = api.post("/api/settings/log-export/test")
    assert result["success"] is True
    headers, batch = collector.received[-1]
    assert headers["Authorization"] == "Bearer t0ken-value"
    assert batch[0]["message"] == "Switchyard log export test"


def test_the_export_test_reports_failures_as_client_visible_errors(api: Api, client: FlaskClient,
                                                                   collector: Collector) -> None:
    response = client.post("/api/settings/log-export/test")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "log_export_not_configured"

    collector.status = 500
    api.put("/api/settings/log-export", {"url": collector.url})
    response = client.post("/api/settings/log-export/test")
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "log_export_rejected"

    unreachable = f"http://127.0.0.1:{free_port()}/intake"
    api.put("/api/settings/log-export", {"url": unreachable})
    response = client.post("/api/settings/log-export/test")
    assert response.status_code == 502
    error = response.get_json()["error"]
    assert error["code"] == "log_export_unreachable"
    assert unreachable in error["message"]


# Who may read and configure --------------------------------------------------------------------


def test_admins_read_the_log_and_only_the_super_admin_exports_it(api: Api, users: Users) -> None:
    root = users.setup_admin()
    admin, _ = users.register("admin@example.com", role="admin")
    user, _ = users.register("user@example.com")
    users.enable_auth(root)

    api.get("/api/logs", expect=401)
    api.as_user(user).get("/api/logs", expect=403)
    api.as_user(admin).get("/api/logs")
    api.as_user(root).get("/api/logs")
    for token, expected in ((None, 401), (user, 403), (admin, 403)):
        caller = api.as_user(token)
        caller.get("/api/settings/log-export", expect=expected)
        caller.put("/api/settings/log-export", {"enabled": False}, expect=expected)
        caller.post("/api/settings/log-export/test", expect=expected)
    api.as_user(root).get("/api/settings/log-export")
