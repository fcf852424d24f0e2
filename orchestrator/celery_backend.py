"""Sessions on Celery workers (`[agents] backend = "celery"`), for more than one machine.

The scheduler claims a session as always (one conditional UPDATE, its lease in the scheduler's
name) and sends its id to the queue. A worker (`switchyard worker`) takes the lease over with a
second conditional UPDATE before it runs anything, so a message delivered twice (late acks,
a worker lost mid-task) runs once: the second delivery finds the lease no longer the
scheduler's and does nothing. Nobody renews a lease that no worker has taken. If no worker takes
it, it expires and the scheduler's reconcile requeues the session, as after any crash.

A worker renews the leases of the sessions it runs and relays cancels to them. It needs the
scheduler's database, master key and repository paths: a shared filesystem, or the same
checkout paths on every machine.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import select, update

from models import AgentSession, utcnow
from models.db import reading
from orchestrator.agent_sessions import set_status
from orchestrator.config import Settings
from orchestrator.dispatch import run_session
from orchestrator.dispatcher import extend_leases
from orchestrator.runtime import Runtime, build_runtime

log = logging.getLogger(__name__)
TASK_NAME = "switchyard.run_session"
CANCEL_POLL_SECONDS = 0.5
BROKER_RETRY_SECONDS = 30


def make_celery(settings: Settings) -> Celery:
    agents = settings.agents
    app = Celery("switchyard", broker=agents.celery_broker_url)
    app.conf.update(
        task_default_queue=agents.celery_queue,
        task_acks_late=True,  # a worker lost mid-session leaves the message for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a worker takes only what it can start now
        task_ignore_result=True,  # outcomes live in the database, not in a result backend
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name=TASK_NAME, bind=True)(_run_session_task)
    return app


class CeleryBackend:
    """The scheduler's side: `start` sends the session's id to the queue."""

    def __init__(self, runtime: Runtime, owner: str) -> None:
        self.runtime, self.owner = runtime, owner
        self.app = make_celery(runtime.settings)
        self.cancels: dict[str, threading.Event] = {}  # nothing runs here; workers relay cancels
        self.paused_until = 0.0

    def ready(self) -> bool:
        """After the broker refused a session, claims wait BROKER_RETRY_SECONDS (not every tick)."""
        return time.monotonic() >= self.paused_until

    def start(self, session_id: str) -> None:
        try:
            self.app.send_task(TASK_NAME, args=[session_id, self.owner], retry=False)
        except Exception as exc:  # the broker is down: the session waits in the queue meanwhile
            self.paused_until = time.monotonic() + BROKER_RETRY_SECONDS
            log.warning("session_id=%s: could not reach the Celery broker (%s); queued again, next try in %d s",
                        session_id, exc, BROKER_RETRY_SECONDS)
            with self.runtime.transaction() as db:
                row = db.get(AgentSession, session_id)
                if row is not None and row.status == "starting" and row.lease_owner == self.owner:
                    row.lease_owner, row.lease_expires_at = None, None
                    set_status(db, row, "queued")

    def cancel_all(self) -> None:
        """Workers stop their own sessions; the scheduler stopping leaves them running."""

    def shutdown(self) -> None:
        self.app.close()


# The worker's side -------------------------------------------------------------------------------

_worker_runtime: Runtime | None = None


def run_worker(settings: Settings, concurrency: int | None = None) -> None:
    """`switchyard worker`: a Celery worker on a thread pool, one thread per session."""
    global _worker_runtime
    _worker_runtime = build_runtime(settings)
    app = make_celery(settings)
    threads = concurrency or settings.agents.max_concurrent_sessions
    try:
        app.worker_main(["worker", "--pool=threads", f"--concurrency={threads}", "--loglevel=INFO",
                         f"--queues={settings.agents.celery_queue}", f"--hostname=switchyard@{socket.gethostname()}",
                         "--without-gossip", "--without-mingle"])
    finally:
        _worker_runtime.close()


def _run_session_task(task: Any, session_id: str, scheduler_owner: str) -> str:
    runtime = _worker_runtime
    if runtime is None:
        raise RuntimeError("the switchyard task runs only in `switchyard worker`")
    owner = f"{socket.gethostname()}:{os.getpid()}:celery-{threading.get_ident():x}"
    if not take_over(runtime, session_id, scheduler_owner, owner):
        log.info("session_id=%s: already taken or no longer waiting; nothing to do", session_id)
        return "skipped"
    cancel = threading.Event()
    with keeping_lease(runtime, session_id, owner, cancel):
        run_session(runtime, session_id, owner, cancel)
    return "ran"


def take_over(runtime: Runtime, session_id: str, scheduler_owner: str, owner: str) -> bool:
    """The scheduler's claim becomes this worker's, once: one conditional UPDATE."""
    expires = utcnow() + timedelta(seconds=runtime.settings.agents.lease_seconds)
    with runtime.transaction() as db:
        result = db.execute(update(AgentSession).where(
            AgentSession.id == session_id, AgentSession.status == "starting",
            AgentSession.lease_owner == scheduler_owner,
        ).values(lease_owner=owner, lease_expires_at=expires, heartbeat_at=utcnow()))
        return result.rowcount == 1


@contextmanager
def keeping_lease(runtime: Runtime, session_id: str, owner: str, cancel: threading.Event) -> Any:
    """Until the session ends: pass a recorded cancel on within CANCEL_POLL_SECONDS (an agent's
    long command must stop as promptly as under the local backend) and renew the lease a few
    times per lease, as the scheduler's tick does for the sessions of its own process."""
    done = threading.Event()
    lease = runtime.settings.agents.lease_seconds

    def watch() -> None:
        renewed = time.monotonic()
        while not done.wait(CANCEL_POLL_SECONDS):
            with reading(runtime.sessions) as db:
                if db.scalar(select(AgentSession.cancel_requested).where(AgentSession.id == session_id)):
                    cancel.set()
            if time.monotonic() - renewed >= lease / 3:
                renewed = time.monotonic()
                with runtime.transaction() as db:
                    extend_leases(db, owner, [session_id], lease)

    thread = threading.Thread(target=watch, name=f"lease-{session_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
