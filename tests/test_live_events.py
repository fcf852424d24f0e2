"""Live events through the real server: a real WebSocket client on /api/ws, REST calls that
cause events, agent sessions against fake providers, and `web` + `daemon` as two processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
import wsproto
import wsproto.events as wse
from simple_websocket import Client, ConnectionClosed
from sqlalchemy import update
from sqlalchemy.engine import make_url

from models import Event, utcnow
from orchestrator import housekeeping
from orchestrator.config import Settings
from orchestrator.runtime import build_runtime
from tests.conftest import PG_URL, Server, start_server, stop_server
from tests.fake_providers import fake_provider

WAIT = 5.0  # seconds an expected message may take (the aim is far less; see bench/ws_fanout.py)
BOOT = 90.0  # seconds a server may take to start on a busy machine


# Clients ------------------------------------------------------------------------------------------


@dataclass
class Rest:
    """The native API of a running server through HTTP."""

    url: str
    token: str | None = None

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = requests.request(method, self.url + path, json=body, headers=headers, timeout=30)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json().get("data") if response.content else None

    def project(self, repo: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """A project with the Agent Pipeline board, and its columns by name."""
        project = self.call("POST", "/api/projects", {"name": "Live", "path": str(repo),
                                                      "templateId": "tpl_agent_pipeline"}, expect=201)
        columns = {c["name"]: c for c in self.call("GET", f"/api/projects/{project['id']}/columns")}
        return project, columns

    def card(self, project_id: str, title: str = "A card") -> dict[str, Any]:
        return self.call("POST", f"/api/projects/{project_id}/cards", {"title": title}, expect=201)

    def move(self, project_id: str, card_id: str, column_id: str) -> None:
        self.call("PATCH", f"/api/projects/{project_id}/cards/{card_id}/move", {"columnId": column_id})

    def rename(self, project_id: str, card_id: str, title: str) -> None:
        self.call("PATCH", f"/api/projects/{project_id}/cards/{card_id}", {"title": title})


class Live:
    """A WebSocket client speaking the /api/ws protocol."""

    def __init__(self, server_url: str, token: str | None = None) -> None:
        query = f"?token={token}" if token is not None else ""
        self.ws = Client.connect(server_url.replace("http://", "ws://") + "/api/ws" + query)

    def send(self, type: str, **payload: Any) -> None:
        self.ws.send(json.dumps({"type": type, "payload": payload} if payload else {"type": type}))

    def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        raw = self.ws.receive(timeout)
        assert raw is not None, f"nothing received within {timeout} s"
        return json.loads(raw)

    def subscribe(self, project_id: str, since: int | None = None) -> dict[str, Any]:
        self.send("subscribe", projectId=project_id, **({"since": since} if since is not None else {}))
        return self.recv()

    def until(self, done: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> list[dict[str, Any]]:
        """Messages up to and including the first for which `done` is true."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.ws.receive(max(deadline - time.monotonic(), 0.01))
            if raw is None:
                break
            seen.append(json.loads(raw))
            if done(seen[-1]):
                return seen
        raise AssertionError(f"not received within {timeout} s; got {[m.get('type') for m in seen]}")

    def quiet(self, seconds: float = 0.5) -> list[dict[str, Any]]:
        """Whatever arrives within `seconds` (expected: nothing)."""
        raw = self.ws.receive(seconds)
        return [json.loads(raw)] if raw is not None else []

    def close_code(self, timeout: float = WAIT) -> int:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.ws.receive(0.2)
        except ConnectionClosed as closed:
            return int(closed.reason)
        raise AssertionError(f"the server did not close the connection within {timeout} s")

    def close(self) -> None:
        try:
            self.ws.close()
        except ConnectionClosed:
            pass


@contextmanager
def raw_socket(server_url: str, receive_buffer: int | None = None,
               target: str = "/api/ws") -> Iterator[tuple[socket.socket, Any]]:
    """A WebSocket opened by hand (wsproto), for what a browser does below the messages."""
    address = urlsplit(server_url)
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((address.hostname, address.port))
    connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    sock.sendall(connection.send(wse.Request(host=address.netloc, target=target)))
    try:
        while (answer := next(connection.events(), None)) is None:
            connection.receive_data(sock.recv(65536) or None)
        assert isinstance(answer, wse.AcceptConnection), answer
        yield sock, connection
    finally:
        sock.close()


def raw_events(sock: socket.socket, connection: Any, timeout: float) -> Iterator[Any]:
    """wsproto events as they arrive, until the connection ends or `timeout` passes."""
    sock.settimeout(0.5)
    yield from connection.events()  # what came with the handshake's answer
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return
        connection.receive_data(data or None)
        yield from connection.events()
        if not data:
            return


def refused_with(server_url: str, target: str = "/api/ws") -> int | None:
    """The close code of a connection the server closes at once. (simple-websocket's client
    loses a close frame that arrives with the handshake's answer, so this one reads by hand.)"""
    with raw_socket(server_url, target=target) as (sock, connection):
        for event in raw_events(sock, connection, timeout=WAIT):
            if isinstance(event, wse.CloseConnection):
                return int(event.code)
    return None


def nth(event_type: str, count: int) -> Callable[[dict[str, Any]], bool]:
    """A predicate for Live.until: true at the `count`-th message of `event_type`."""
    seen = [0]

    def done(message: dict[str, Any]) -> bool:
        seen[0] += message.get("type") == event_type
        return seen[0] == count

    return done


def events_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if isinstance(m.get("id"), int)]


# Subscribing, replaying, live delivery -----------------------------------------------------------


def test_a_rest_move_reaches_a_subscriber_as_card_moved(live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    project, columns = rest.project(repo)
    card = rest.card(project["id"])
    client = Live(live_server.url)
    subscribed = client.subscribe(project["id"])
    assert subscribed["type"] == "subscribed" and subscribed["projectId"] == project["id"]
    assert isinstance(subscribed["lastEventId"], int)

    rest.move(project["id"], card["id"], columns["Done"]["id"])
    moved = client.recv()
    assert moved["type"] == "card.moved" and moved["projectId"] == project["id"]
    assert moved["id"] > subscribed["lastEventId"]
    assert moved["data"] == {"cardId": card["id"], "fromColumnId": columns["Backlog"]["id"],
                             "toColumnId": columns["Done"]["id"], "position": 0}
    assert moved["at"].endswith("Z")
    assert set(moved) == {"id", "type", "projectId", "data", "at"}
    client.close()


def test_reconnecting_with_since_replays_exactly_the_missed_events_in_order(
        live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    project, columns = rest.project(repo)
    other, _ = rest.project(repo)  # its events must not leak into the replay
    card = rest.card(project["id"])
    first = Live(live_server.url)
    first.subscribe(project["id"])
    rest.rename(project["id"], card["id"], "seen")
    seen = first.recv()
    first.close()

    rest.rename(project["id"], card["id"], "missed 1")
    rest.card(other["id"], "elsewhere")
    rest.move(project["id"], card["id"], columns["Done"]["id"])
    rest.rename(project["id"], card["id"], "missed 2")

    again = Live(live_server.url)
    assert again.subscribe(project["id"], since=seen["id"])["lastEventId"] == seen["id"]
    replayed = again.until(nth("card.updated", 2))
    ids = [m["id"] for m in replayed]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and all(i > seen["id"] for i in ids)
    assert [m["projectId"] for m in replayed] == [project["id"]] * len(replayed)
    types = [m["type"] for m in replayed]
    assert types[0] == "card.updated" and "card.moved" in types and types[-1] == "card.updated"

    rest.rename(project["id"], card["id"], "live")  # then live, with nothing repeated
    live = again.until(lambda m: m.get("type") == "card.updated")
    assert [m["id"] for m in events_only(live)][-1] > ids[-1]
    assert not set(m["id"] for m in events_only(live)) & set(ids)
    again.close()


def test_a_replay_racing_live_events_has_no_gap_and_no_duplicate(live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    project, _ = rest.project(repo)
    card = rest.card(project["id"])
    watcher = Live(live_server.url)
    start = watcher.subscribe(project["id"])["lastEventId"]
    for n in range(30):
        rest.rename(project["id"], card["id"], f"before {n}")
    expected = [watcher.recv()["id"] for _ in range(30)]
    client = Live(live_server.url)
    client.send("subscribe", projectId=project["id"], since=start)
    for n in range(30):  # while the replay runs
        rest.rename(project["id"], card["id"], f"during {n}")
    expected += [watcher.recv()["id"] for _ in range(30)]
    received = client.until(lambda m: m.get("id") == expected[-1], timeout=15)
    assert [m["id"] for m in events_only(received)] == expected
    assert len(set(expected)) == 60 and expected == sorted(expected)
    for open_client in (watcher, client):
        open_client.close()


def test_a_since_older_than_the_retained_events_gets_resync_required(
        live_server: Server, repo: Path, settings: Settings) -> None:
    rest = Rest(live_server.url)
    project, _ = rest.project(repo)
    card = rest.card(project["id"])
    client = Live(live_server.url)
    first_id = client.subscribe(project["id"])["lastEventId"]
    for n in range(3):
        rest.rename(project["id"], card["id"], f"title {n}")
        assert client.recv()["type"] == "card.updated"
    runtime = build_runtime(settings)  # what the purge job does, on events made old
    try:
        with runtime.transaction() as db:
            db.execute(update(Event).where(Event.id <= first_id + 1)
                       .values(created_at=utcnow().replace(year=utcnow().year - 1)))
            assert housekeeping.purge_events(db, settings.events.retention_days) >= 2
    finally:
        runtime.close()

    client.send("subscribe", projectId=project["id"], since=first_id - 1)
    error = client.recv()
    assert error["type"] == "error" and error["code"] == "resync_required"
    assert error["projectId"] == project["id"] and error["lastEventId"] >= first_id + 3
    client.send("subscribe", projectId=project["id"], since=10**9)  # newer than any: a replaced database
    assert client.recv()["code"] == "resync_required"
    assert client.subscribe(project["id"], since=error["lastEventId"])["type"] == "subscribed"
    rest.rename(project["id"], card["id"], "after the reload")
    assert client.recv()["type"] == "card.updated"
    client.close()


# Bad input ---------------------------------------------------------------------------------------


def test_bad_messages_get_errors_and_nobody_else_notices(live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    project, _ = rest.project(repo)
    card = rest.card(project["id"])
    bystander, client = Live(live_server.url), Live(live_server.url)
    bystander.subscribe(project["id"])

    client.ws.send("{not json")
    assert client.recv()["code"] == "invalid_json"
    client.ws.send("[1, 2]")
    assert client.recv()["code"] == "invalid_message"
    client.send("shout")
    assert client.recv()["code"] == "unknown_type"
    client.send("subscribe")
    bad = client.recv()
    assert bad["code"] == "validation_error" and "payload.projectId" in bad["message"]
    client.send("subscribe", projectId=project["id"], since="yesterday")
    assert "payload.since" in client.recv()["message"]
    client.send("subscribe", projectId="proj_nope")
    assert client.recv() | {"message": ""} == {"type": "error", "code": "not_found", "projectId": "proj_nope",
                                               "message": ""}
    client.send("ping")
    assert client.recv() == {"type": "pong"}

    rest.rename(project["id"], card["id"], "still live")
    assert bystander.recv()["type"] == "card.updated"
    client.ws.send("x" * (1024 * 1024 + 1))
    assert client.close_code() == 1009
    rest.rename(project["id"], card["id"], "still live after a huge frame")
    assert bystander.recv()["data"]["changed"] == ["title"]
    fresh = Live(live_server.url)
    fresh.send("ping")
    assert fresh.recv() == {"type": "pong"}
    for open_client in (bystander, fresh):
        open_client.close()


def test_unsubscribe_stops_the_events(live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    project, _ = rest.project(repo)
    card = rest.card(project["id"])
    client = Live(live_server.url)
    client.subscribe(project["id"])
    client.send("unsubscribe", projectId=project["id"])
    assert client.recv() == {"type": "unsubscribed", "projectId": project["id"]}
    rest.rename(project["id"], card["id"], "unseen")
    assert client.quiet() == []
    client.close()


def test_a_foreign_origin_cannot_open_the_socket(live_server: Server) -> None:
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://evil.example"}
    response = requests.get(f"{live_server.url}/api/ws", headers=headers, timeout=10)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_mismatch"


# Auth --------------------------------------------------------------------------------------------


def test_with_auth_on_a_missing_or_bad_token_closes_4001_and_a_non_member_gets_an_error(
        live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    admin = rest.call("POST", "/api/auth/setup", {"email": "root@example.com", "password": "correct-horse-1"},
                      expect=201)["token"]
    outsider = rest.call("POST", "/api/auth/register", {"email": "out@example.com", "password": "correct-horse-1"},
                         expect=201)["token"]
    rest = Rest(live_server.url, admin)
    rest.call("PUT", "/api/settings/auth", {"enabled": True})
    project, _ = rest.project(repo)
    card = rest.card(project["id"])

    assert refused_with(live_server.url) == 4001
    assert refused_with(live_server.url, "/api/ws?token=not-a-token") == 4001

    stranger = Live(live_server.url, token=outsider)
    error = stranger.subscribe(project["id"])
    assert (error["type"], error["code"], error["projectId"]) == ("error", "not_found", project["id"])
    member = Live(live_server.url, token=admin)
    member.subscribe(project["id"])
    rest.rename(project["id"], card["id"], "for members")
    assert member.recv()["type"] == "card.updated"
    assert stranger.quiet() == []
    stranger.send("ping")  # the stranger's connection itself is fine
    assert stranger.recv() == {"type": "pong"}
    for client in (stranger, member):
        client.close()


def test_an_api_key_follows_only_the_projects_its_boards_cover(live_server: Server, repo: Path) -> None:
    rest = Rest(live_server.url)
    admin = rest.call("POST", "/api/auth/setup", {"email": "root@example.com", "password": "correct-horse-1"},
                      expect=201)["token"]
    rest = Rest(live_server.url, admin)
    rest.call("PUT", "/api/settings/auth", {"enabled": True})
    covered, _ = rest.project(repo)
    other, _ = rest.project(repo)
    board = rest.call("GET", f"/api/projects/{covered['id']}/boards")[0]
    key = rest.call("POST", "/api/api-keys", {"name": "dashboard", "boards": [
        {"boardId": board["id"], "permission": "read"}]}, expect=201)["key"]

    client = Live(live_server.url, token=key)
    assert client.subscribe(covered["id"])["type"] == "subscribed"
    refused = client.subscribe(other["id"])
    assert (refused["type"], refused["code"]) == ("error", "not_found")
    card = rest.card(covered["id"])
    assert client.recv()["data"]["cardId"] == card["id"]
    client.close()


# Connections, threads, slow clients --------------------------------------------------------------


def test_the_server_pings_and_closes_a_client_that_never_answers(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path / "data", env={"SWITCHYARD_DATABASE_URL": database_url,
                                                  "SWITCHYARD_EVENTS_WS_PING_SECONDS": "1"}, timeout=BOOT)
    try:
        with raw_socket(server.url) as (sock, connection):
            pings, closed = 0, None
            for event in raw_events(sock, connection, timeout=30):
                if isinstance(event, wse.Ping):
                    pings += 1
                    if pings <= 2:  # answer the first two, as every browser does; then fall silent
                        sock.sendall(connection.send(event.response()))
                elif isinstance(event, wse.CloseConnection):
                    closed = event.code
                    break
            assert pings >= 3
            assert closed == 1008
    finally:
        stop_server(server.process)


def test_websockets_never_take_the_threads_rest_needs(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path / "data", env={"SWITCHYARD_DATABASE_URL": database_url,
                                                  "SWITCHYARD_SERVER_THREADS": "10"}, timeout=BOOT)
    clients: list[Live] = []
    try:
        for _ in range(5):  # 10 threads: at most 10 - min(8, 10 // 2) = 5 WebSockets
            clients.append(Live(server.url))
            clients[-1].send("ping")
            assert clients[-1].recv() == {"type": "pong"}
        assert requests.get(f"{server.url}/api/health", timeout=WAIT).ok
        assert requests.get(f"{server.url}/api/projects", timeout=WAIT).ok
        assert refused_with(server.url) == 1013
        clients.pop().close()
        deadline = time.monotonic() + WAIT
        while True:  # the closed one's thread is freed
            late = Live(server.url)
            late.send("ping")
            try:
                assert late.recv() == {"type": "pong"}
                clients.append(late)
                break
            except ConnectionClosed:
                assert time.monotonic() < deadline, "a freed slot was not reused"
                time.sleep(0.2)
    finally:
        for client in clients:
            client.close()
        stop_server(server.process)


def test_a_client_that_stops_reading_is_dropped_and_others_go_on(
        tmp_path: Path, database_url: str, repo: Path) -> None:
    server = start_server(tmp_path / "data", env={"SWITCHYARD_DATABASE_URL": database_url,
                                                  "SWITCHYARD_EVENTS_WS_SEND_QUEUE": "20",
                                                  "SWITCHYARD_EVENTS_WS_PING_SECONDS": "300"}, timeout=BOOT)
    long_reply = "y" * 1_000_000  # streamed as ~700 message.delta frames, far beyond 20 + the socket buffer
    try:
        rest = Rest(server.url)
        project, columns = rest.project(repo)
        other, _ = rest.project(repo)
        bystander = Live(server.url)
        bystander.subscribe(other["id"])
        with fake_provider("anthropic", [[{"text": long_reply}]]) as (_, base_url), \
                raw_socket(server.url, receive_buffer=4096) as (sock, connection):
            rest.call("PUT", f"/api/projects/{project['id']}/credential", {"credentialId": credential(rest, base_url)})
            card = rest.card(project["id"])
            subscribe = json.dumps({"type": "subscribe", "payload": {"projectId": project["id"]}})
            sock.sendall(connection.send(wse.TextMessage(subscribe)))
            rest.move(project["id"], card["id"], columns["Implement"]["id"])
            time.sleep(3)  # not reading while the agent streams
            streamed, closed, text = 0, None, ""
            for event in raw_events(sock, connection, timeout=20):
                if isinstance(event, wse.TextMessage):
                    text += event.data  # wsproto hands a frame over in pieces as they arrive
                    if event.message_finished and '"message.delta"' in text:
                        streamed += len(json.loads(text)["data"]["text"])
                    text = "" if event.message_finished else text
                elif isinstance(event, wse.CloseConnection):
                    closed = event.code
                    break
            assert streamed < len(long_reply), "the stalled client was not dropped"
            assert closed in (4008, 1006)  # 1006: cut off before its close frame could be sent
        rest.card(other["id"], "after the drop")
        assert bystander.recv()["type"] == "card.created"
        bystander.close()
    finally:
        stop_server(server.process)


def test_sigterm_closes_open_sockets_with_1001(tmp_path: Path, database_url: str) -> None:
    server = start_server(tmp_path / "data", env={"SWITCHYARD_DATABASE_URL": database_url}, timeout=BOOT)
    client = Live(server.url)
    client.send("ping")
    assert client.recv() == {"type": "pong"}
    code = stop_server(server.process)
    assert client.close_code(timeout=1) == 1001
    assert code == 0


# Agent sessions: streaming text, and events from another process -----------------------------------


def credential(rest: Rest, base_url: str) -> str:
    return rest.call("POST", "/api/credentials", {"name": "fake", "provider": "anthropic", "apiKey": "sk-test-key",
                                                  "baseUrl": base_url}, expect=201)["id"]


REPLY = "Hello from the streaming agent, all done here."


def run_card(rest: Rest, client: Live, repo: Path, base_url: str) -> list[dict[str, Any]]:
    """Move a card into Implement and collect its session's messages until the session ends."""
    project, columns = rest.project(repo)
    rest.call("PUT", f"/api/projects/{project['id']}/credential", {"credentialId": credential(rest, base_url)})
    card = rest.card(project["id"], "Say hello")
    client.subscribe(project["id"])
    rest.move(project["id"], card["id"], columns["Implement"]["id"])
    return client.until(lambda m: m.get("type") == "session.ended", timeout=60)


def test_streaming_text_reaches_a_subscriber_as_message_delta(live_server: Server, repo: Path) -> None:
    with fake_provider("anthropic", [[{"text": REPLY}]]) as (_, base_url):
        messages = run_card(Rest(live_server.url), Live(live_server.url), repo, base_url)
    deltas = [m for m in messages if m["type"] == "message.delta"]
    assert "".join(d["data"]["text"] for d in deltas) == REPLY
    assert all(d["id"] is None and d["data"]["sessionId"] for d in deltas)
    types = [m["type"] for m in messages]
    assert types.index("message.delta") < max(i for i, t in enumerate(types) if t == "message.created")
    assert messages[-1]["data"]["status"] == "completed"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database of its own on the test server (so no other test's data)."""
    base = make_url(PG_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin_url = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    name = f"switchyard_live_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {base.host}:{base.port} does not answer ({exc.__class__.__name__}); "
                    "the cross-process test on PostgreSQL needs it")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def web_and_daemon(data_dir: Path, url: str) -> Iterator[Server]:
    env = {"SWITCHYARD_DATABASE_URL": url}
    web = start_server(data_dir, env=env, command="web", timeout=BOOT)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "daemon", "--data-dir", str(data_dir)],
        stdout=(data_dir.parent / "daemon.log").open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, **env}, start_new_session=True)
    try:
        yield web
    finally:
        stop_server(daemon)
        stop_server(web.process)


@pytest.mark.parametrize("database", ["configured", "postgresql"])
def test_events_written_by_the_daemon_reach_the_web_process_clients(
        tmp_path: Path, database_url: str, repo: Path, database: str) -> None:
    with (postgres_database() if database == "postgresql" else _given(database_url)) as url, \
            web_and_daemon(tmp_path / "data", url) as web, \
            fake_provider("anthropic", [[{"text": REPLY}]]) as (_, base_url):
        client = Live(web.url)
        started = time.monotonic()
        messages = run_card(Rest(web.url), client, repo, base_url)
        assert time.monotonic() - started < 60
        client.close()
    types = [m["type"] for m in messages]
    for expected in ("card.moved", "session.queued", "session.started", "message.created", "session.ended"):
        assert expected in types, f"{expected} missing from {types}"
    assert messages[-1]["data"]["status"] == "completed"
    ids = [m["id"] for m in events_only(messages)]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    deltas = "".join(m["data"]["text"] for m in messages if m["type"] == "message.delta")
    if url.startswith("postgresql"):
        assert deltas == REPLY  # streaming text crosses processes by NOTIFY
    else:
        assert deltas == ""  # SQLite: whole messages only between processes (documented)


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url
