"""The WebSocket at /api/ws: live events of the projects a client subscribes to.

Protocol, close codes and event names: README, "Live events". Each connection holds one worker
thread for its lifetime; that thread handles the client's messages and writes its replies and
whatever the hub could not write straight away (orchestrator.live.Mailbox says who writes when).
simple-websocket signals an arriving message by setting an Event; `WakingEvent` also nudges the
mailbox, so the thread waits for the client and for the hub at once. Data frames are framed
here (`text_frame`), once per client from a payload serialised once per event; simple-websocket
(wsproto) handles the handshake, pings and closing.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence
from typing import Any

import orjson
from flask import Blueprint, Flask, g, request
from flask_sock import Sock
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from simple_websocket import ConnectionClosed, Server

from models.db import reading
from orchestrator import events_feed, runtime_settings
from orchestrator.errors import DomainError
from orchestrator.live import TRY_AGAIN_LATER, LiveHub, Mailbox, Subscription, hub_for
from web.context import runtime
from web.guards import public

log = logging.getLogger(__name__)
bp = Blueprint("live_events", __name__)
sock = Sock()

MAX_MESSAGE_BYTES = 1024 * 1024  # a larger client message closes the connection with 1009
UNAUTHORIZED = 4001
INTERNAL_ERROR = 1011
IDLE_WAIT_SECONDS = 1.0  # how often an idle connection looks at its socket's state
FORCE_CLOSE_SECONDS = 2.0  # a dropped client that does not take its close frame is cut off
CLOSE_GRACE_SECONDS = 1.0  # for the client's answer to a close frame
SEND_BUFFER_BYTES = 128 * 1024  # per client socket (Linux doubles it); then the mailbox fills


def register(app: Flask) -> None:
    app.config["SOCK_SERVER_OPTIONS"] = {
        "ping_interval": app.extensions["switchyard"].settings.events.ws_ping_seconds,
        "max_message_size": MAX_MESSAGE_BYTES,
        "event_class": WakingEvent,
        "thread_class": DaemonThread,
    }
    app.register_blueprint(bp)


class DaemonThread(threading.Thread):
    """simple-websocket's reader thread; daemonic, so it never holds up the process's exit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, daemon=True, **kwargs)


class WakingEvent(threading.Event):
    """simple-websocket sets its event when a message arrives (or the socket closes); this one
    also wakes the connection's thread waiting on its mailbox."""

    mailbox: Mailbox | None = None

    def set(self) -> None:
        super().set()
        if self.mailbox is not None:
            self.mailbox.nudge()


class SubscribePayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    projectId: str = Field(min_length=1, max_length=100)
    since: StrictInt | None = Field(None, ge=0)


class UnsubscribePayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    projectId: str = Field(min_length=1, max_length=100)


@bp.before_request
def _without_compression() -> None:
    """Decline permessage-deflate: events are a few hundred bytes, and compressing each one for
    each client cost more CPU (fan-out latency +50 %) and memory (~200 KiB of zlib state per
    socket) than it saved (bench/ws_fanout.py)."""
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@sock.route("/api/ws", bp=bp)
@public  # the guard lets the upgrade through; a bad token is answered by closing with 4001
def live_events(ws: Server) -> None:
    _end_request_transaction()
    try:
        _serve(ws)
    finally:
        _let_go(ws)


def _serve(ws: Server) -> None:
    audience = _audience()
    if audience is None:
        _close(ws, UNAUTHORIZED, "authentication required: connect with ?token=<token>")
        return
    hub = hub_for(runtime())
    mailbox = Mailbox(hub.queue_limit, frame=text_frame, on_drop=lambda: _cut_off_later(ws),
                      write_now=lambda data: ws.sock.send(data, socket.MSG_DONTWAIT))
    if not hub.admit(mailbox):
        _close(ws, TRY_AGAIN_LATER, "too many open WebSockets on this server; try again later")
        return
    ws.event.mailbox = mailbox
    # The kernel's buffer for a client is server memory too: bounded, not autotuned up to 4 MiB.
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    try:
        Connection(ws, mailbox, hub, audience).serve()
    except (ConnectionClosed, OSError):
        pass
    except Exception:
        log.exception("WebSocket connection failed")
        _close(ws, INTERNAL_ERROR, "internal error")
    finally:
        hub.leave(mailbox)


def text_frame(payload: bytes) -> bytes:
    """A complete, unmasked server-to-client text frame (RFC 6455 5.2), built once per client
    from a payload serialised once per event. Compression is declined (see above), so the
    frame needs nothing from the connection's state."""
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = b"\x81\x7e" + size.to_bytes(2, "big")
    else:
        header = b"\x81\x7f" + size.to_bytes(8, "big")
    return header + payload


def _end_request_transaction() -> None:
    """The guard read the database in the request's session; a connection lasts for hours, so
    end that transaction now (on SQLite it holds the write lock)."""
    session = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()


def _audience() -> events_feed.Audience | None:
    """Who is connecting: `?token=` (or a bearer header); None means close with 4001. A short
    transaction: a key's last use is recorded."""
    token = request.args.get("token") or _bearer()
    with runtime().transaction() as db:
        return events_feed.audience_for(db, runtime().keyring, token, runtime_settings.auth_enabled(db))


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


def _let_go(ws: Server) -> None:
    """After a close frame the client answers with its own and hangs up; one that does not is cut
    off, or its reader thread would wait for it until the next ping."""
    ws.thread.join(timeout=CLOSE_GRACE_SECONDS)
    if ws.thread.is_alive():
        _shut(ws)


def _shut(ws: Server) -> None:
    try:
        ws.sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _close(ws: Server, code: int, reason: str) -> None:
    try:
        ws.close(code, reason)
    except (ConnectionClosed, OSError):
        pass


def _cut_off_later(ws: Server) -> None:
    """A client that stopped reading cannot take a close frame; its socket is shut instead."""
    timer = threading.Timer(FORCE_CLOSE_SECONDS, _shut, [ws])
    timer.daemon = True
    timer.start()


class Connection:
    """One client's session: its subscriptions, and the loop that serves it."""

    def __init__(self, ws: Server, mailbox: Mailbox, hub: LiveHub, audience: events_feed.Audience) -> None:
        self.ws, self.mailbox, self.hub, self.audience = ws, mailbox, hub, audience
        self.subscriptions: dict[str, Subscription] = {}

    def serve(self) -> None:
        while True:
            self.flush(self.mailbox.take(IDLE_WAIT_SECONDS))
            if self.mailbox.close_code is not None:
                _close(self.ws, self.mailbox.close_code, self.mailbox.close_reason)
                return
            if not self.ws.connected:
                return
            while self.ws.connected and (message := self.ws.receive(timeout=0)) is not None:
                self.handle(message)

    def flush(self, data: bytes, payloads: Sequence[bytes] = ()) -> None:
        """Write what waited in the mailbox, then `payloads`, in one system call; the mailbox is
        this thread's until done(), so nothing the hub writes can cut in."""
        try:
            self.ws.sock.sendall(data + b"".join(text_frame(payload) for payload in payloads))
        finally:
            self.mailbox.done()

    def write(self, payloads: Sequence[bytes]) -> None:
        self.flush(self.mailbox.begin(), payloads)

    def send(self, message: dict[str, Any]) -> None:
        self.write([orjson.dumps(message)])

    def error(self, code: str, message: str, **extra: Any) -> None:
        self.send({"type": "error", "code": code, "message": message, **extra})

    # Client messages ----------------------------------------------------------------------------

    def handle(self, raw: str | bytes) -> None:
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.error("invalid_json", "the message is not JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.error("invalid_message", 'a message is a JSON object with a "type"')
            return
        handler = {"subscribe": self.subscribe, "unsubscribe": self.unsubscribe, "ping": self.ping}.get(
            message["type"])
        if handler is None:
            self.error("unknown_type", f"unknown message type {message['type'][:50]!r}; "
                       "expected subscribe, unsubscribe or ping")
            return
        handler(message.get("payload"))

    def ping(self, _payload: Any) -> None:
        self.send({"type": "pong"})

    def subscribe(self, payload: Any) -> None:
        body = self._parse(SubscribePayload, payload)
        if body is None:
            return
        try:
            with reading(self.hub.runtime.sessions) as db:
                events_feed.require_audience(db, self.audience, body.projectId)
                if body.since is not None:
                    events_feed.check_since(db, body.since)
        except events_feed.ResyncRequired as exc:
            self.error(exc.code, exc.message, projectId=body.projectId, lastEventId=exc.last_event_id)
            return
        except DomainError as exc:
            self.error(exc.code, exc.message, projectId=body.projectId)
            return
        previous = self.subscriptions.pop(body.projectId, None)
        if previous is not None:  # subscribing again replaces the subscription
            self.hub.unsubscribe(previous)
        subscription = self.hub.subscribe(self.mailbox, body.projectId, body.since)
        self.subscriptions[body.projectId] = subscription
        self._start(subscription, body.since)

    def _start(self, subscription: Subscription, since: int | None) -> None:
        """`subscribed` says after which id events follow; then the replay, then live events."""
        self.send({"type": "subscribed", "projectId": subscription.project_id,
                   "lastEventId": subscription.through if since is None else since})
        if since is not None:
            for page in self.hub.replay(subscription, since):
                self.write(page)
        self.hub.go_live(subscription)

    def unsubscribe(self, payload: Any) -> None:
        body = self._parse(UnsubscribePayload, payload)
        if body is None:
            return
        subscription = self.subscriptions.pop(body.projectId, None)
        if subscription is not None:
            self.hub.unsubscribe(subscription)
        self.send({"type": "unsubscribed", "projectId": body.projectId})

    def _parse(self, model: type[BaseModel], payload: Any) -> Any:
        try:
            return model.model_validate(payload if payload is not None else {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in ("payload", *first["loc"]))
            self.error("validation_error", f"{where}: {first['msg']}")
            return None
