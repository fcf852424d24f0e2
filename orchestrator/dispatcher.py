"""The scheduler's tick: reconcile, apply outcomes, dispatch — in that order, every second.

Only this module and the worker that owns a session change session state; a claim is one
conditional UPDATE, so two dispatchers can never both start a session.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import AgentSession, Card, Column, Project, utcnow
from orchestrator import approvals
from orchestrator.access import Actor
from orchestrator.agent_sessions import set_status
from orchestrator.dispatch import run_session
from orchestrator.pipeline import next_step, pipeline_steps
from orchestrator.runtime import Runtime
from orchestrator.team import execution as team_execution

log = logging.getLogger(__name__)
RUNNING = ("starting", "running")
AUTO_MODE = Actor(kind="agent", role="super_admin", name="switchyard:auto-mode")


def extend_leases(db: Session, owner: str, session_ids: list[str], seconds: float) -> None:
    """The running sessions of `owner` among `session_ids` are held for `seconds` more: the
    scheduler does it for its process's sessions, a Celery worker for its own."""
    db.execute(update(AgentSession).where(AgentSession.lease_owner == owner, AgentSession.id.in_(session_ids),
                                          AgentSession.status.in_(RUNNING))
               .values(lease_expires_at=utcnow() + timedelta(seconds=seconds)))


def owner_is_dead(owner: str | None) -> bool:
    """A lease held by a process of this host that no longer exists (after a crash or SIGKILL)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LocalBackend:
    """Sessions on a bounded thread pool in this process; `start` is the whole interface."""

    def __init__(self, runtime: Runtime, owner: str) -> None:
        self.runtime, self.owner = runtime, owner
        self.pool = ThreadPoolExecutor(max_workers=runtime.settings.agents.max_concurrent_sessions,
                                       thread_name_prefix="session")
        self.cancels: dict[str, threading.Event] = {}

    def ready(self) -> bool:
        return True

    def start(self, session_id: str) -> None:
        cancel = self.cancels.setdefault(session_id, threading.Event())
        self.pool.submit(self._run, session_id, cancel)

    def _run(self, session_id: str, cancel: threading.Event) -> None:
        try:
            run_session(self.runtime, session_id, self.owner, cancel)
        finally:
            self.cancels.pop(session_id, None)

    def cancel_all(self) -> None:
        for event in list(self.cancels.values()):
            event.set()

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class Backend(Protocol):
    """Where claimed sessions run. `cancels` holds the sessions running in this process."""

    owner: str
    cancels: dict[str, threading.Event]

    def ready(self) -> bool: ...
    def start(self, session_id: str) -> None: ...
    def cancel_all(self) -> None: ...
    def shutdown(self) -> None: ...


def make_backend(runtime: Runtime, owner: str) -> Backend:
    if runtime.settings.agents.backend == "celery":
        from orchestrator.celery_backend import CeleryBackend  # Celery is imported only when used

        return CeleryBackend(runtime, owner)
    return LocalBackend(runtime, owner)


class Dispatcher:
    def __init__(self, runtime: Runtime, backend: Backend | None = None) -> None:
        self.runtime = runtime
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.backend = backend or make_backend(runtime, self.owner)
        self.backend.owner = self.owner

    def tick(self) -> None:
        with self.runtime.transaction() as db:
            self.relay_cancels(db)
            self.renew_leases(db)
            self.reconcile(db)
        with self.runtime.transaction() as db:
            self.apply_outcomes(db)
        if not self.backend.ready():
            return
        for session_id in self.claim(self.runtime.settings.agents.max_concurrent_sessions):
            self.backend.start(session_id)

    def relay_cancels(self, db: Session) -> None:
        """A cancel recorded by any process reaches this process's workers, even mid-command."""
        wanted = db.scalars(select(AgentSession.id).where(AgentSession.lease_owner == self.owner,
                                                          AgentSession.cancel_requested.is_(True))).all()
        for session_id in wanted:
            if session_id in self.backend.cancels:
                self.backend.cancels[session_id].set()

    def renew_leases(self, db: Session) -> None:
        """Only for the sessions running in this process: a session sent to a Celery worker that
        no worker took must expire, so that reconcile requeues it."""
        if self.backend.cancels:
            extend_leases(db, self.owner, list(self.backend.cancels), self.runtime.settings.agents.lease_seconds)

    def reconcile(self, db: Session) -> None:
        """Expired leases, dead owners and stalled agents: interrupted, then queued again while
        attempts remain (the worker resumes from the recorded conversation)."""
        agents = self.runtime.settings.agents
        now = utcnow()
        stalled_before = now - timedelta(seconds=agents.stall_timeout)
        running = db.scalars(select(AgentSession).where(AgentSession.status.in_(RUNNING))).all()
        lost = [row for row in running
                if (row.lease_expires_at is not None and row.lease_expires_at < now)
                or (row.heartbeat_at is not None and row.heartbeat_at < stalled_before)
                or owner_is_dead(row.lease_owner)]
        for row in lost:
            log.warning("session_id=%s interrupted (lease or heartbeat expired)", row.id)
            if row.id in self.backend.cancels:
                self.backend.cancels[row.id].set()
            set_status(db, row, "interrupted")
            if row.attempt < agents.max_attempts:
                row.attempt += 1
                row.ended_at, row.lease_expires_at = None, None
                set_status(db, row, "queued")

    def apply_outcomes(self, db: Session) -> None:
        """Completed sessions move their auto-mode card to the next step of its pipeline (or mark
        it waiting, where that transition requires approval)."""
        done = db.scalars(select(AgentSession).where(AgentSession.status == "completed",
                                                     AgentSession.outcome_applied.is_(False),
                                                     AgentSession.kind == "card")).all()
        for row in done:
            row.outcome_applied = True
            card = db.get(Card, row.card_id) if row.card_id else None
            if card is not None and team_execution.apply_outcome(db, row, card):  # team task → review
                continue
            if card is None or not card.auto_mode or card.column_id != row.column_id:
                continue
            steps = [step["columnId"] for step in pipeline_steps(db, card)]
            target = next_step(steps, card.column_id)
            if target is not None:
                approvals.advance(db, AUTO_MODE, card, target)

    def claim(self, limit: int) -> list[str]:
        """Queued sessions by card priority, then age, within the global, project and WIP limits."""
        with self.runtime.transaction() as db:
            running = dict(db.execute(select(AgentSession.project_id, func.count()).where(
                AgentSession.status.in_(RUNNING)).group_by(AgentSession.project_id)).tuples().all())
            per_column = dict(db.execute(select(AgentSession.column_id, func.count()).where(
                AgentSession.status.in_(RUNNING)).group_by(AgentSession.column_id)).tuples().all())
            free = limit - sum(running.values())
            if free <= 0:
                return []
            queued = db.execute(
                select(AgentSession.id, AgentSession.project_id, AgentSession.column_id,
                       Project.max_concurrent_sessions, Column.wip_limit)
                .join(Project, Project.id == AgentSession.project_id)
                .outerjoin(Column, Column.id == AgentSession.column_id)
                .where(AgentSession.status == "queued")
                .order_by(AgentSession.priority.desc(), AgentSession.queued_at).limit(200)
            ).all()
            claimed: list[str] = []
            expires = utcnow() + timedelta(seconds=self.runtime.settings.agents.lease_seconds)
            for session_id, project_id, column_id, project_limit, wip in queued:
                if len(claimed) >= free:
                    break
                if project_limit and running.get(project_id, 0) >= project_limit:
                    continue
                if wip and per_column.get(column_id, 0) >= wip:
                    continue
                result = db.execute(update(AgentSession).where(
                    AgentSession.id == session_id, AgentSession.status == "queued"
                ).values(status="starting", lease_owner=self.owner, lease_expires_at=expires,
                         heartbeat_at=utcnow()))
                if result.rowcount == 1:
                    claimed.append(session_id)
                    running[project_id] = running.get(project_id, 0) + 1
                    per_column[column_id] = per_column.get(column_id, 0) + 1
            return claimed
