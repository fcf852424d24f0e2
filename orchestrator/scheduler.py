"""The scheduler: one per installation, in `serve`'s worker or in `switchyard daemon`.

Jobs follow APScheduler's advice: explicit ids, replace_existing, max_instances=1, coalesce.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from orchestrator import housekeeping
from orchestrator.dispatcher import Dispatcher
from orchestrator.runtime import Runtime

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    dispatcher = Dispatcher(runtime)
    scheduler.add_job(
        _tick, "interval", seconds=runtime.settings.scheduler.tick_seconds, args=[dispatcher],
        id="tick", replace_existing=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        _purge_events, "interval", minutes=10, args=[runtime], id="purge_events", replace_existing=True
    )
    runtime.on_queued = lambda: _wake(scheduler)
    scheduler.dispatcher = dispatcher  # type: ignore[attr-defined]
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Stop taking work; running sessions are told to stop and reach a checkpoint."""
    scheduler.shutdown(wait=True)
    backend = scheduler.dispatcher.backend  # type: ignore[attr-defined]
    backend.cancel_all()
    backend.shutdown()


def _wake(scheduler: BackgroundScheduler) -> None:
    """Run the tick now rather than at the next second: a queued session starts at once."""
    try:
        scheduler.modify_job("tick", next_run_time=datetime.now(UTC))
    except Exception:  # stopped or stopping: the next start picks the session up
        log.debug("wake ignored: scheduler not running")


def _tick(dispatcher: Dispatcher) -> None:
    try:
        dispatcher.tick()
    except Exception:
        log.exception("scheduler tick failed")


def _purge_events(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        removed = housekeeping.purge_events(session, runtime.settings.events.retention_days)
    if removed:
        log.info("purged %d events older than %d days", removed, runtime.settings.events.retention_days)
