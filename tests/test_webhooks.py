"""Webhooks of /api/ext/v1: managed by their key, delivered from the event outbox to a real HTTP
receiver on loopback (allowed by `webhooks.allow_hosts`), signed per Standard Webhooks (checked
with the `standardwebhooks` package), in order, retried, disabled by 410."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from orchestrator.config import Settings, load_settings
from orchestrator.scheduler import build_scheduler, stop_scheduler
from orchestrator.webhook_delivery import WebhookDeliverer
from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, first_board, lanes_by_name, make_key

RETRY_SECONDS = [0.2, 0.2]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "webhooks.allow_hosts": ["127.0.0.1"],
        "webhooks.retry_seconds": RETRY_SECONDS, "webhooks.poll_seconds": 0.1})


class Receiver:
    """An HTTP server on loopback that records each request and answers the next scripted status."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    server = Receiver(statuses)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def deliverer(app: Any) -> Iterator[WebhookDeliverer]:
    built = WebhookDeliverer(app.extensions["switchyard"])
    yield built
    built.shutdown()


def deliver_until(deliverer: WebhookDeliverer, done: Callable[[], bool], timeout: float = 10.0) -> None:
    """Run the scheduler's delivery job until `done()` (generous bound; each pass is quick)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for started in deliverer.run_once():
            started.result()
        if done():
            return
        time.sleep(0.05)
    raise AssertionError("webhook deliveries did not reach the expected state in time")


@pytest.fixture
def ext(api: Api, client: Any, project: dict[str, Any]) -> KeyClient:
    return KeyClient(client, make_key(api, allBoards=True, defaultProjectId=project["id"])["key"])


# Managing webhooks -----------------------------------------------------------------------------


def test_webhooks_are_created_listed_changed_and_deleted(api, client, ext) -> None:  # type: ignore[no-untyped-def]
    made = ext.post(f"{EXT}/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["card.created", "card.*"]},
                    expect=201)["data"]
    assert made["secret"].startswith("whsec_") and made["active"] is True and made["failing"] is False
    assert made["events"] == ["card.created", "card.*"]
    listed = ext.get(f"{EXT}/webhooks")["data"]
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    assert made["secret"] not in json.dumps(ext.get(f"{EXT}/webhooks/{made['id']}"))
    assert ext.get(f"{EXT}/webhooks/{made['id']}")["data"]["deliveries"] == []

    changed = ext.patch(f"{EXT}/webhooks/{made['id']}", {"events": ["*"], "active": False})["data"]
    assert (changed["events"], changed["active"]) == (["*"], False)

    stranger = KeyClient(client, make_key(api, "other", allBoards=True)["key"])
    assert stranger.get(f"{EXT}/webhooks")["data"] == []
    assert stranger.error("GET", f"{EXT}/webhooks/{made['id']}", 404) == "not_found"
    assert stranger.error("DELETE", f"{EXT}/webhooks/{made['id']}", 404) == "not_found"

    assert ext.delete(f"{EXT}/webhooks/{made['id']}") is None
    assert ext.get(f"{EXT}/webhooks")["data"] == []


@pytest.mark.parametrize(("body", "fragment"), [
    ({"url": "http://10.1.2.3/hook", "events": ["*"]}, "private"),
    ({"url": "http://169.254.169.254/latest", "events": ["*"]}, "link-local"),
    ({"url": "http://localhost:8080/hook", "events": ["*"]}, "allow_hosts"),
    ({"url": "http://[::1]/hook", "events": ["*"]}, "loopback"),
    ({"url": "ftp://127.0.0.1/hook", "events": ["*"]}, "http"),
    ({"url": "http://127.0.0.1/hook", "events": ["card.exploded"]}, "card.exploded"),
    ({"url": "http://127.0.0.1/hook", "events": []}, "events"),
    ({"url": "http://127.0.0.1/hook"}, "events"),
])
def test_unsafe_urls_and_unknown_events_are_refused(ext, body, fragment) -> None:  # type: ignore[no-untyped-def]
    response = ext.client.post(f"{EXT}/webhooks", json=body, headers={"Authorization": f"Bearer {ext.key}"})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and fragment in error["message"]


# Delivering ------------------------------------------------------------------------------------


def test_a_signed_event_reaches_a_real_receiver(ext, project, deliverer) -> None:  # type: ignore[no-untyped-def]
    board_id = ext.get(f"{EXT}/boards")["data"][0]["id"]
    with receiver() as hook:
        made = ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["card.created", "card.moved"]},
                        expect=201)["data"]
        lanes = lanes_by_name(ext, board_id)
        task = ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "Deploy v2", "priority": 3}, expect=201)["data"]
        ext.patch(f"{EXT}/boards/{board_id}/tasks/{task['id']}", {"title": "Deploy v2.1"})  # card.updated: not asked
        ext.post(f"{EXT}/boards/{board_id}/tasks/{task['id']}/move", {"laneId": lanes["Done"]["id"]})
        deliver_until(deliverer, lambda: len(hook.requests) >= 2)

    verifier = Verifier(made["secret"])
    for request in hook.requests:
        verified = verifier.verify(request["body"], request["headers"])  # raises on a bad signature
        assert verified["type"] in ("card.created", "card.moved")
        assert request["headers"]["Content-Type"] == "application/json"
    created, moved = hook.events()
    assert [created["type"], moved["type"]] == ["card.created", "card.moved"]  # in order
    assert created["timestamp"].endswith("Z")
    data = created["data"]
    assert (data["id"], data["boardId"], data["priority"], data["laneId"]) == (
        task["id"], board_id, 3, lanes["Backlog"]["id"])
    assert {"shortId", "title", "tags", "archived", "createdAt", "updatedAt"} <= set(data)
    assert (moved["data"]["laneId"], moved["data"]["fromLaneId"]) == (lanes["Done"]["id"], lanes["Backlog"]["id"])
    assert hook.requests[0]["headers"]["webhook-id"] != hook.requests[1]["headers"]["webhook-id"]

    detail = ext.get(f"{EXT}/webhooks/{made['id']}")["data"]
    assert [(d["eventType"], d["statusCode"], d["attempt"]) for d in reversed(detail["deliveries"])] == [
        ("card.created", 200, 1), ("card.moved", 200, 1)]
    assert all(d["durationMs"] is not None and d["deliveredAt"] for d in detail["deliveries"])


def test_a_failed_delivery_is_sent_again_with_the_same_id(ext, deliverer) -> None:  # type: ignore[no-untyped-def]
    board_id = ext.get(f"{EXT}/boards")["data"][0]["id"]
    with receiver([500]) as hook:
        made = ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["card.created"]}, expect=201)["data"]
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "first"}, expect=201)
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "second"}, expect=201)
        deliver_until(deliverer, lambda: len(hook.requests) >= 3)

    first, retry, _second = hook.requests
    assert first["headers"]["webhook-id"] == retry["headers"]["webhook-id"]
    assert first["body"] == retry["body"]
    assert [e["data"]["title"] for e in hook.events()] == ["first", "first", "second"]  # order kept
    Verifier(made["secret"]).verify(retry["body"], retry["headers"])
    deliveries = ext.get(f"{EXT}/webhooks/{made['id']}")["data"]["deliveries"]
    assert [(d["statusCode"], d["attempt"]) for d in reversed(deliveries)] == [(500, 1), (200, 2), (200, 1)]
    failed = deliveries[-1]
    assert failed["error"] == "HTTP 500" and failed["deliveredAt"] is None and failed["nextAttemptAt"]


def test_a_receiver_that_keeps_failing_marks_the_webhook_failing_until_it_recovers(ext, deliverer) -> None:  # type: ignore[no-untyped-def]
    board_id = ext.get(f"{EXT}/boards")["data"][0]["id"]
    attempts = len(RETRY_SECONDS) + 1
    with receiver([503] * attempts) as hook:
        made = ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["card.created"]}, expect=201)["data"]
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "lost"}, expect=201)
        path = f"{EXT}/webhooks/{made['id']}"
        deliver_until(deliverer, lambda: ext.get(path)["data"]["failing"])
        assert len(hook.requests) == attempts
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "next"}, expect=201)
        deliver_until(deliverer, lambda: not ext.get(path)["data"]["failing"])
    assert [e["data"]["title"] for e in hook.events()] == ["lost"] * attempts + ["next"]


def test_a_410_answer_disables_the_webhook(ext, deliverer) -> None:  # type: ignore[no-untyped-def]
    board_id = ext.get(f"{EXT}/boards")["data"][0]["id"]
    with receiver([410]) as hook:
        made = ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["card.*"]}, expect=201)["data"]
        path = f"{EXT}/webhooks/{made['id']}"
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "gone"}, expect=201)
        deliver_until(deliverer, lambda: not ext.get(path)["data"]["active"])
        ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "unheard"}, expect=201)
        for started in deliverer.run_once():
            started.result()
        assert len(hook.requests) == 1
        detail = ext.get(path)["data"]
        assert "410" in detail["disabledReason"]
        ext.patch(path, {"active": True})  # turned on again: delivery resumes where it stopped
        deliver_until(deliverer, lambda: len(hook.requests) == 2)
    assert hook.events()[1]["data"]["title"] == "unheard"
    assert ext.get(path)["data"]["disabledReason"] is None


def test_a_scoped_keys_webhook_gets_only_its_boards_events(api, client, project, deliverer) -> None:  # type: ignore[no-untyped-def]
    mine = first_board(api, project)
    other = api.post(f"/api/projects/{project['id']}/boards", {"name": "Not yours"}, expect=201)
    scoped = KeyClient(client, make_key(api, boards=[{"boardId": mine["id"], "permission": "read"}])["key"])
    with receiver() as hook:
        scoped.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["*"]}, expect=201)
        api.post(f"/api/projects/{project['id']}/cards", {"title": "hidden", "boardId": other["id"]}, expect=201)
        api.post(f"/api/projects/{project['id']}/cards", {"title": "seen", "boardId": mine["id"]}, expect=201)
        deliver_until(deliverer, lambda: len(hook.requests) >= 1)
        for started in deliverer.run_once():
            started.result()
    assert [(e["type"], e["data"]["title"]) for e in hook.events()] == [("card.created", "seen")]


def test_a_revoked_keys_webhooks_fall_silent(api, client, project, deliverer) -> None:  # type: ignore[no-untyped-def]
    key = make_key(api, allBoards=True)
    ext = KeyClient(client, key["key"])
    with receiver() as hook:
        ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["*"]}, expect=201)
        api.delete(f"/api/api-keys/{key['id']}")
        api.post(f"/api/projects/{project['id']}/cards", {"title": "after revoke"}, expect=201)
        for started in deliverer.run_once():
            started.result()
    assert hook.requests == []


def test_the_scheduler_delivers_webhooks(app, ext) -> None:  # type: ignore[no-untyped-def]
    board_id = ext.get(f"{EXT}/boards")["data"][0]["id"]
    scheduler = build_scheduler(app.extensions["switchyard"])
    with receiver() as hook:
        ext.post(f"{EXT}/webhooks", {"url": hook.url, "events": ["card.created"]}, expect=201)
        scheduler.start()
        try:
            ext.post(f"{EXT}/boards/{board_id}/tasks", {"title": "via the daemon"}, expect=201)
            deadline = time.monotonic() + 10
            while not hook.requests and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop_scheduler(scheduler)
    assert [e["data"]["title"] for e in hook.events()] == ["via the daemon"]
