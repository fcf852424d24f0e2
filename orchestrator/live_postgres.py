"""PostgreSQL's part in live events: LISTEN/NOTIFY between processes, and id gaps in the outbox.

Every transaction that publishes events sends NOTIFY on EVENTS_CHANNEL as it commits
(models.events); the hub of each web process LISTENs and reads the outbox when told. Streaming
text, which is never stored, travels whole in NOTIFY payloads on DELTAS_CHANNEL.

Event ids come from a sequence when a transaction inserts, and become visible when it commits, so
id 11 may be visible before id 10. `GapGuard` makes the hub wait at such a gap until every
transaction that could still be holding the missing id has ended, then skips it (a rollback).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import psycopg
from sqlalchemy import Engine, Row, text
from sqlalchemy.orm import Session

from models.events import EVENTS_CHANNEL

log = logging.getLogger(__name__)
DELTAS_CHANNEL = "switchyard_deltas"
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
SETTLE_SECONDS = 0.02  # after this, the transaction that took a missing id has an xid
GIVE_UP_SECONDS = 10.0  # a transaction open longer than this must not stall everyone's events
RECONNECT_SECONDS = 1.0


def notify_delta(engine: Engine, origin: str, project_id: str, frame: bytes) -> None:
    """Send a streaming-text frame to the other processes' hubs (best effort: it is not stored)."""
    payload = orjson.dumps({"o": origin, "p": project_id, "f": frame.decode()}).decode()
    if len(payload.encode()) > MAX_PAYLOAD:
        log.debug("delta of %d bytes not sent across processes", len(payload))
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": DELTAS_CHANNEL, "payload": payload})
    except Exception:  # the agent's stream must go on whatever happens to its audience
        log.debug("NOTIFY of a delta failed", exc_info=True)


class Listener:
    """A thread holding one LISTEN connection; reconnects after errors and then wakes the hub,
    which catches up from the outbox (nothing is lost but deltas sent meanwhile)."""

    def __init__(self, url: str, origin: str, on_events: Callable[[], None],
                 on_delta: Callable[[str, bytes], None]) -> None:
        self.url, self.origin = url, origin
        self.on_events, self.on_delta = on_events, on_delta
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="switchyard-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as connection:
                    connection.execute(f"LISTEN {EVENTS_CHANNEL}")
                    connection.execute(f"LISTEN {DELTAS_CHANNEL}")
                    self.on_events()  # whatever committed before LISTEN took effect
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            self._handle(note.channel, note.payload)
            except psycopg.Error:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(RECONNECT_SECONDS)

    def _handle(self, channel: str, payload: str) -> None:
        if channel == EVENTS_CHANNEL:
            self.on_events()
            return
        try:
            message: dict[str, Any] = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if message.get("o") != self.origin:  # this process delivered its own deltas already
            self.on_delta(message["p"], message["f"].encode())


class GapGuard:
    """Holds the hub at a gap in event ids until the gap is known to be permanent."""

    def __init__(self) -> None:
        self._missing: int | None = None  # the first id of the gap being waited on
        self._seen_at = 0.0
        self._xmax: int | None = None

    @property
    def pending(self) -> bool:
        return self._missing is not None

    def settled(self, db: Session) -> bool:
        """Checked before reading: have all transactions that were open at the gap ended? Then a
        read after this check that still lacks the ids shows they will never come."""
        if self._missing is None:
            return False
        waited = time.monotonic() - self._seen_at
        if self._xmax is None:
            if waited >= SETTLE_SECONDS:
                self._xmax = db.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
            return False
        if waited > GIVE_UP_SECONDS:
            log.warning("event id %s missing for %.0f s: skipped (a transaction is open that long)",
                        self._missing, waited)
            return True
        oldest_open = db.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"))
        return bool(oldest_open >= self._xmax)

    def contiguous(self, after_id: int, rows: Sequence[Row[Any]], settled: bool) -> Sequence[Row[Any]]:
        """The rows that follow `after_id` without a gap; past a gap only once it has settled."""
        expected = after_id + 1
        for index, row in enumerate(rows):
            if row.id != expected:
                if not (settled and expected == self._missing):
                    if expected != self._missing:
                        self._missing, self._seen_at, self._xmax = expected, time.monotonic(), None
                    return rows[:index]
                settled = False  # skipped; a further gap in these rows waits afresh
                self._missing = None
            expected = row.id + 1
        self._missing = None
        return rows
