"""Delivering webhooks from the event outbox: at least once, in order per webhook, retried.

The scheduler (one per installation) calls `WebhookDeliverer.run_once` every
`webhooks.poll_seconds`. Each webhook has a cursor into the outbox (`last_event_id`). A run hands
each webhook with events past its cursor to a small thread pool, one task per webhook at a time,
so a slow receiver delays only its own events and each webhook gets its events in id order. A
task reads the next event in a short transaction, POSTs it with no transaction open, and records
the attempt in another. The cursor passes an event only once it was delivered (2xx) or given up,
so a crash in between sends it again; the `webhook-id` header, the same on every attempt, lets
the receiver drop such a duplicate.

A failed attempt (no answer, or not 2xx) waits `webhooks.retry_seconds[n]` before the next; after
the last the event is given up and the webhook marked failing (a later success clears it). A 410
answer disables the webhook at once. Every attempt is kept with its status code and duration.

Event ids are taken at insert but become visible at commit, so on PostgreSQL id 11 can be seen
before id 10 commits. `SettledIds` therefore lets webhooks read only up to an id below which
every transaction has ended (one poll later than the newest id); on SQLite writers take turns,
so the newest id is already settled.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import orjson
import requests
from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from models import ApiKey, Board, Event, Project, Webhook, WebhookDelivery, iso, utcnow
from models.db import reading
from orchestrator.access import visible_projects
from orchestrator.api_keys import KeyGrant, board_permissions, grant_for_key
from orchestrator.events_feed import latest_event_id
from orchestrator.ext.events import event_board_id, event_data
from orchestrator.runtime import Runtime
from orchestrator.webhooks import sign, subscribed, url_problem

log = logging.getLogger(__name__)
PAGE = 200  # events read per query while looking for a webhook's next one
BURST = 100  # events one task delivers before it lets the other webhooks have the pool
PRUNE_SECONDS = 600
USER_AGENT = "Switchyard-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    webhook_id: str
    url: str
    secret: str
    event_id: int
    event_type: str
    number: int
    body: bytes

    @property
    def message_id(self) -> str:
        return f"evt_{self.event_id}"


@dataclass(frozen=True)
class Result:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class SettledIds:
    """The highest event id that no open transaction can still add a lower id beneath."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.postgres = runtime.engine.dialect.name == "postgresql"
        self._settled = 0
        self._candidate: tuple[int, int] | None = None  # (newest id seen, snapshot xmax after it)

    def current(self) -> int:
        with reading(self.runtime.sessions) as db:
            newest = latest_event_id(db)
            if not self.postgres:
                return newest
            if self._candidate is not None and _oldest_open_xid(db) >= self._candidate[1]:
                self._settled = max(self._settled, self._candidate[0])
                self._candidate = None
            if self._candidate is None and newest > self._settled:
                xmax = db.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
                self._candidate = (newest, int(xmax))
        return self._settled


def _oldest_open_xid(db: Session) -> int:
    return int(db.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))


class WebhookDeliverer:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings.webhooks
        self.settled = SettledIds(runtime)
        self._pool = ThreadPoolExecutor(self.settings.max_concurrency, thread_name_prefix="switchyard-webhook")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._pruned_at = 0.0

    def run_once(self) -> list[Future[None]]:
        """Start a delivery task for each webhook with events waiting (one at a time per webhook)."""
        through = self.settled.current()
        waiting = exists().where(WebhookDelivery.webhook_id == Webhook.id,  # a retry not due yet
                                 WebhookDelivery.event_id > Webhook.last_event_id,
                                 WebhookDelivery.next_attempt_at > utcnow())
        with reading(self.runtime.sessions) as db:
            due = db.scalars(select(Webhook.id).join(ApiKey, ApiKey.id == Webhook.api_key_id).where(
                Webhook.active.is_(True), ApiKey.revoked_at.is_(None), Webhook.last_event_id < through,
                ~waiting)).all()
        started = []
        for webhook_id in due:
            with self._lock:
                if webhook_id in self._busy:
                    continue
                self._busy.add(webhook_id)
            started.append(self._pool.submit(self._deliver, webhook_id, through))
        self._prune()
        return started

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _deliver(self, webhook_id: str, through: int) -> None:
        try:
            for _ in range(BURST):
                attempt = next_attempt(self.runtime, webhook_id, through)
                if attempt is None:
                    return
                result = post(attempt, self.settings.allow_hosts, self.settings.timeout_seconds)
                if not record(self.runtime, attempt, result, self.settings.retry_seconds):
                    return
        except Exception:
            log.exception("delivering webhook %s failed", webhook_id)
        finally:
            with self._lock:
                self._busy.discard(webhook_id)

    def _prune(self) -> None:
        """Deliveries are kept as long as the events they carried."""
        if time.monotonic() - self._pruned_at < PRUNE_SECONDS:
            return
        self._pruned_at = time.monotonic()
        cutoff = utcnow() - timedelta(days=self.runtime.settings.events.retention_days)
        with self.runtime.transaction() as db:
            db.execute(delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff))


def next_attempt(runtime: Runtime, webhook_id: str, through: int) -> Attempt | None:
    """The webhook's next event to send, if it is due; moves the cursor past events it skips."""
    with runtime.transaction() as db:
        webhook = db.get(Webhook, webhook_id)
        key = db.get(ApiKey, webhook.api_key_id) if webhook is not None and webhook.api_key_id else None
        grant = grant_for_key(db, key) if key is not None else None
        if webhook is None or not webhook.active or grant is None:
            return None
        scope = Scope(db, grant)
        while webhook.last_event_id < through:
            events = db.scalars(select(Event).where(Event.id > webhook.last_event_id, Event.id <= through)
                                .order_by(Event.id).limit(PAGE)).all()
            for event in events:
                if subscribed(webhook.events, event.type):
                    board_id = event_board_id(db, event)
                    if scope.allows(board_id, event.project_id):
                        return _attempt(db, runtime, webhook, event, board_id)
                webhook.last_event_id = event.id
            if len(events) < PAGE:
                webhook.last_event_id = through  # the rest of the ids up to `through` never committed
        return None


def _attempt(db: Session, runtime: Runtime, webhook: Webhook, event: Event, board_id: str | None) -> Attempt | None:
    last = db.scalar(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id,
                                                   WebhookDelivery.event_id == event.id)
                     .order_by(WebhookDelivery.attempt.desc()).limit(1))
    if last is not None and last.next_attempt_at is not None and last.next_attempt_at > utcnow():
        return None  # waiting for its retry
    payload = {"type": event.type, "timestamp": iso(event.created_at), "data": event_data(db, event, board_id)}
    return Attempt(webhook.id, webhook.url, runtime.keyring.decrypt(webhook.secret_encrypted), event.id,
                   event.type, (last.attempt + 1) if last is not None else 1, orjson.dumps(payload))


class Scope:
    """Which events a key's webhook may see: those of boards the key may read (cached per run)."""

    def __init__(self, db: Session, grant: KeyGrant) -> None:
        self.db, self.grant = db, grant
        self._boards: dict[str, bool] = {}

    def allows(self, board_id: str | None, project_id: str | None) -> bool:
        if board_id is None:  # a project-wide event: only for keys on all boards of the project
            return self.grant.all_boards and project_id is not None and self._project_visible(project_id)
        if board_id not in self._boards:
            board = self.db.get(Board, board_id)
            if board is not None:
                self._boards[board_id] = board_permissions(self.db, self.grant, [board])[board_id] is not None
            else:  # deleted since: the key's own grant, or its owner's view of the project
                self._boards[board_id] = board_id in self.grant.boards or (
                    self.grant.all_boards and project_id is not None and self._project_visible(project_id))
        return self._boards[board_id]

    def _project_visible(self, project_id: str) -> bool:
        query = select(Project.id).where(Project.id == project_id, visible_projects(self.grant.owner))
        return self.db.scalar(query) is not None


def post(attempt: Attempt, allow_hosts: list[str], timeout: float) -> Result:
    """One signed POST, with no redirects followed and no proxy from the environment."""
    problem = url_problem(attempt.url, allow_hosts)
    if problem:
        return Result(None, 0, f"refused: {problem}")
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": attempt.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(attempt.secret, attempt.message_id, timestamp, attempt.body),
    }
    started = time.perf_counter()
    try:
        with requests.Session() as http:
            http.trust_env = False
            response = http.post(attempt.url, data=attempt.body, headers=headers, timeout=timeout,
                                 allow_redirects=False)
            response.close()
    except requests.RequestException as exc:
        return Result(None, _ms(started), f"{type(exc).__name__}: {str(exc)[:300]}")
    ok = 200 <= response.status_code < 300
    return Result(response.status_code, _ms(started), None if ok else f"HTTP {response.status_code}")


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def record(runtime: Runtime, attempt: Attempt, result: Result, retry_seconds: list[float]) -> bool:
    """Keep the attempt; move the cursor if the event is done with. True: go on to the next event."""
    with runtime.transaction() as db:
        webhook = db.get(Webhook, attempt.webhook_id)
        if webhook is None:  # deleted meanwhile
            return False
        now = utcnow()
        delivery = WebhookDelivery(webhook_id=webhook.id, event_id=attempt.event_id, event_type=attempt.event_type,
                                   attempt=attempt.number, status_code=result.status_code,
                                   duration_ms=result.duration_ms, error=result.error)
        db.add(delivery)
        if result.ok:
            delivery.delivered_at = now
            webhook.last_event_id = max(webhook.last_event_id, attempt.event_id)
            webhook.failing = False
            return True
        if result.status_code == 410:  # answered for good: turned on again, it resumes after this event
            webhook.last_event_id = max(webhook.last_event_id, attempt.event_id)
            webhook.active, webhook.failing = False, True
            webhook.disabled_reason = "the receiver answered 410 Gone"
            log.info("webhook %s disabled: its receiver answered 410", webhook.id)
            return False
        if attempt.number <= len(retry_seconds):
            delivery.next_attempt_at = now + timedelta(seconds=retry_seconds[attempt.number - 1])
            return False
        webhook.failing = True
        webhook.last_event_id = max(webhook.last_event_id, attempt.event_id)
        log.warning("webhook %s gave up event %s after %d attempts", webhook.id, attempt.event_id, attempt.number)
        return False
