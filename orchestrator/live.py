"""The live event hub: one per process, it follows the outbox and fans events out to clients.

- One reader thread reads committed events in id order and hands each, serialised once, to every
  subscription of its project. It wakes when this process commits events (models.events
  announce_commits -> Runtime.notify_events), on PostgreSQL when another process NOTIFYs, and on
  SQLite every POLL_SECONDS, since another process (`switchyard daemon`) cannot tell it.
- A subscription with `since` first replays (since, W] from the database, W being the last id the
  hub had dispatched when it registered; live events meanwhile are held for it, and join after the
  replay. Every delivery passes `id > cursor`: id order, no gaps, no duplicates.
- Each connection has a bounded Mailbox. The hub never blocks on a client: a mailbox that fills
  up drops its client (close 4008), which reconnects with `since`.
- Streaming text (`message.delta`) goes straight to live subscriptions, never to the outbox;
  between processes only PostgreSQL carries it (NOTIFY).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Row

from models import AgentSession
from models.db import reading
from orchestrator import events_feed
from orchestrator.live_postgres import GapGuard, Listener, notify_delta
from orchestrator.runtime import Runtime

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1  # SQLite: how often the outbox is read for other processes' events
PG_POLL_SECONDS = 5.0  # PostgreSQL: a safety net under LISTEN
GAP_POLL_SECONDS = 0.02
REST_RESERVE = 8  # worker threads kept for plain requests, however many WebSockets are open
DELTA_CHUNK = 1500  # characters per delta frame (a NOTIFY payload must stay under 8000 bytes)

# Close codes (README: "Live events").
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013
SLOW_CLIENT = 4008
_START_LOCK = threading.Lock()


def max_websockets(threads: int) -> int:
    """Each open WebSocket holds a worker thread; the rest stay free for REST requests."""
    return threads - min(REST_RESERVE, threads // 2)


def hub_for(runtime: Runtime) -> LiveHub:
    """The process's hub, started by the first WebSocket that needs it."""
    with _START_LOCK:
        if runtime.hub is None:
            hub = LiveHub(runtime)
            hub.start()
            runtime.hub = hub
        return runtime.hub  # type: ignore[no-any-return]


def origin_of(runtime: Runtime) -> str:
    return f"{os.getpid()}:{id(runtime):x}"


class Mailbox:
    """One connection's messages on their way out, at most `limit` waiting.

    The transport gives `frame` (a payload to its wire bytes) and `write_now` (a non-blocking
    write). While the connection's own thread is not writing and nothing waits, the hub writes
    a message straight to the socket: 200 clients cost 200 system calls, not 200 thread wake-ups.
    Otherwise (the socket buffer is full, or the thread is busy) messages wait here, in order,
    for the connection's thread (`take` ... `done`)."""

    def __init__(self, limit: int, frame: Callable[[bytes], bytes] = bytes,
                 write_now: Callable[[bytes], int] | None = None,
                 on_drop: Callable[[], None] | None = None) -> None:
        self.limit = limit
        self.frame, self.write_now, self.on_drop = frame, write_now, on_drop
        self.close_code: int | None = None
        self.close_reason = ""
        self._waiting: deque[tuple[Subscription | None, bytes]] = deque()
        self._busy = False  # the connection's thread is writing
        self._incoming = False
        self._ready = threading.Condition()

    def put(self, subscription: Subscription, payload: bytes) -> None:
        data = self.frame(payload)
        with self._ready:
            if self.close_code is not None:
                return
            if not self._waiting and not self._busy and self.write_now is not None:
                written = self._try_write(data)
                if written == len(data):
                    return
                if written:  # the rest of a started frame goes first, whatever comes next
                    self._waiting.append((None, data[written:]))
                    self._ready.notify()
                    return
            if len(self._waiting) < self.limit:
                self._waiting.append((subscription, data))
                self._ready.notify()
                return
        self.drop(f"too slow: {self.limit} messages were waiting; reconnect with since")

    def _try_write(self, data: bytes) -> int:
        try:
            return self.write_now(data)  # type: ignore[misc]
        except OSError:  # full (EAGAIN) or gone: the connection's thread finds out which
            return 0

    def drop(self, reason: str) -> None:
        """A client that cannot keep up loses its queue (memory stays bounded) and is closed."""
        if self.close_code is None:
            log.info("WebSocket client dropped: %s", reason)
        self.close(SLOW_CLIENT, reason)
        if self.on_drop is not None:
            self.on_drop()

    def close(self, code: int, reason: str) -> None:
        """No more messages; those waiting are dropped, except the end of a frame the hub began
        (without it the close frame would land inside that frame)."""
        with self._ready:
            if self.close_code is None:
                self.close_code, self.close_reason = code, reason
                ends = [(sub, data) for sub, data in self._waiting if sub is None]
                self._waiting.clear()
                self._waiting.extend(ends)
            self._ready.notify()

    def nudge(self) -> None:
        """The client sent something: wake the connection's thread to read it."""
        with self._ready:
            self._incoming = True
            self._ready.notify()

    def take(self, timeout: float) -> bytes:
        """For the connection's thread: wait until something is to be done (messages to write,
        the client spoke, the mailbox closed) or `timeout`, then begin()."""
        with self._ready:
            if not self._waiting and not self._incoming and self.close_code is None:
                self._ready.wait(timeout)
            self._incoming = False
            return self.begin()

    def begin(self) -> bytes:
        """For the connection's thread: the right to write (until done()), and the bytes waiting,
        to be written first (they may finish a frame the hub started)."""
        with self._ready:
            self._busy = True
            data = b"".join(d for sub, d in self._waiting if sub is None or sub.active)
            self._waiting.clear()
            return data

    def done(self) -> None:
        with self._ready:
            self._busy = False


@dataclass(eq=False)
class Subscription:
    project_id: str
    mailbox: Mailbox
    cursor: int  # the last event id this client has (or will have from its replay)
    through: int  # the replay runs up to here; the hub dispatches what comes after
    held: list[tuple[int, bytes]] | None = field(default_factory=list)  # None once live
    active: bool = True


class LiveHub:
    """Follows the outbox for this process and fans events out (see the module docstring)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.origin = origin_of(runtime)
        self.connection_limit = max_websockets(runtime.settings.server.threads)
        self.queue_limit = runtime.settings.events.ws_send_queue
        self._lock = threading.Lock()
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._mailboxes: set[Mailbox] = set()
        self._watermark = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._postgres = runtime.engine.dialect.name == "postgresql"
        self._gaps = GapGuard() if self._postgres else None
        self._listener: Listener | None = None
        self._thread = threading.Thread(target=self._follow, name="switchyard-live", daemon=True)

    # Life ---------------------------------------------------------------------------------------

    def start(self) -> None:
        with reading(self.runtime.sessions) as db:
            self._watermark = events_feed.latest_event_id(db)
        self._thread.start()
        if self._postgres:
            url = self.runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = Listener(url, self.origin, self.wake, self.deliver_delta)
            self._listener.start()

    def stop(self) -> None:
        """Close every connection (1001: the server is going away) and stop following."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            mailboxes = list(self._mailboxes)
        for mailbox in mailboxes:
            mailbox.close(GOING_AWAY, "the server is shutting down")
        if self._listener is not None:
            self._listener.stop()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=3)

    def wake(self) -> None:
        self._wake.set()

    # Connections and subscriptions ----------------------------------------------------------------

    def admit(self, mailbox: Mailbox) -> bool:
        """Register a connection, unless as many are open as the worker's threads allow."""
        with self._lock:
            if self._stop.is_set() or len(self._mailboxes) >= self.connection_limit:
                return False
            self._mailboxes.add(mailbox)
            return True

    def leave(self, mailbox: Mailbox) -> None:
        with self._lock:
            self._mailboxes.discard(mailbox)
            for project_id, subscriptions in list(self._subscriptions.items()):
                kept = [s for s in subscriptions if s.mailbox is not mailbox]
                for gone in subscriptions:
                    if gone.mailbox is mailbox:
                        gone.active = False
                if kept:
                    self._subscriptions[project_id] = kept
                else:
                    del self._subscriptions[project_id]

    def subscribe(self, mailbox: Mailbox, project_id: str, since: int | None) -> Subscription:
        """Register now, so nothing committed from here on is missed; replay() covers the past.
        Live events are held until go_live(), after the client has `subscribed` and the replay."""
        with self._lock:
            through = self._watermark
            subscription = Subscription(project_id, mailbox, cursor=max(since or 0, through), through=through)
            self._subscriptions.setdefault(project_id, []).append(subscription)
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscription.active = False
            kept = [s for s in self._subscriptions.get(subscription.project_id, []) if s is not subscription]
            if kept:
                self._subscriptions[subscription.project_id] = kept
            else:
                self._subscriptions.pop(subscription.project_id, None)

    def replay(self, subscription: Subscription, since: int) -> Iterator[list[bytes]]:
        """The project's events after `since` up to the registration point, a page at a time
        (each read in its own short read-only session, so a slow client holds nothing open)."""
        after = since
        while after < subscription.through:
            with reading(self.runtime.sessions) as db:
                rows = events_feed.project_events(db, subscription.project_id, after, subscription.through)
            if not rows:
                return
            after = rows[-1].id
            yield [events_feed.frame(row) for row in rows]

    def go_live(self, subscription: Subscription) -> None:
        """After the replay: the events held meanwhile, then live delivery."""
        with self._lock:
            for event_id, frame in subscription.held or ():
                if event_id > subscription.cursor:
                    subscription.cursor = event_id
                    subscription.mailbox.put(subscription, frame)
            subscription.held = None

    # Delivery ---------------------------------------------------------------------------------------

    def deliver_delta(self, project_id: str, frame: bytes) -> None:
        with self._lock:
            for subscription in self._subscriptions.get(project_id, ()):
                if subscription.held is None:
                    subscription.mailbox.put(subscription, frame)

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll_seconds())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._catch_up()
            except Exception:  # the database may be restarting; keep following
                log.exception("reading the event outbox failed")
                self._stop.wait(1.0)

    def _poll_seconds(self) -> float:
        if self._gaps is not None:
            return GAP_POLL_SECONDS if self._gaps.pending else PG_POLL_SECONDS
        return POLL_SECONDS

    def _catch_up(self) -> None:
        while True:
            with reading(self.runtime.sessions) as db:
                settled = self._gaps.settled(db) if self._gaps is not None else False
                rows: Sequence[Row[Any]] = events_feed.events_after(db, self._watermark)
            read = len(rows)
            if self._gaps is not None:
                rows = self._gaps.contiguous(self._watermark, rows, settled)
            if rows:
                self._dispatch(rows)
            if read < events_feed.PAGE or len(rows) < read:
                return

    def _dispatch(self, rows: Sequence[Row[Any]]) -> None:
        frames = [(row.id, row.project_id, events_feed.frame(row)) for row in rows]
        with self._lock:
            for event_id, project_id, frame in frames:
                for subscription in self._subscriptions.get(project_id, ()):
                    self._offer(subscription, event_id, frame)
                self._watermark = event_id

    def _offer(self, subscription: Subscription, event_id: int, frame: bytes) -> None:
        if event_id <= subscription.cursor:
            return
        if subscription.held is None:
            subscription.cursor = event_id
            subscription.mailbox.put(subscription, frame)
        elif len(subscription.held) < self.queue_limit:
            subscription.held.append((event_id, frame))
        else:
            subscription.mailbox.drop("too slow: the replay could not keep up with live events")


# Streaming text ---------------------------------------------------------------------------------


def text_sink(runtime: Runtime) -> Callable[[str, str], None]:
    """The recorder's sink for an agent's streaming text: this process's hub, and on PostgreSQL the
    other processes' hubs too. With SQLite and `web` and `daemon` apart, clients get whole
    messages only (`message.created`)."""

    @lru_cache(maxsize=256)
    def route(session_id: str) -> tuple[str, str | None]:
        with reading(runtime.sessions) as db:
            row = db.get(AgentSession, session_id)
            return (row.project_id, row.card_id) if row is not None else ("", None)

    def sink(session_id: str, text: str) -> None:
        project_id, card_id = route(session_id)
        if project_id:
            publish_delta(runtime, project_id, card_id, session_id, text)

    return sink


def publish_delta(runtime: Runtime, project_id: str, card_id: str | None, session_id: str, text: str) -> None:
    postgres = runtime.engine.dialect.name == "postgresql"
    for start in range(0, len(text), DELTA_CHUNK):
        frame = events_feed.delta_frame(project_id, card_id, session_id, text[start:start + DELTA_CHUNK])
        if runtime.hub is not None:
            runtime.hub.deliver_delta(project_id, frame)
        if postgres:
            notify_delta(runtime.engine, origin_of(runtime), project_id, frame)
