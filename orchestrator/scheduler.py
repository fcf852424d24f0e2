"""The scheduler: one per installation, in `serve`'s worker or in `switchyard daemon`.

Jobs follow APScheduler's advice: explicit ids, replace_existing, max_instances=1, coalesce.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from orchestrator import housekeeping, log_export
from orchestrator.dispatcher import Dispatcher
from orchestrator.runtime import Runtime
from orchestrator.webhook_delivery import WebhookDeliverer

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
DISK_CHECK_SECONDS = 30  # how soon a project's worktree disk figure follows a session's end


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
    scheduler.add_job(_clean_worktrees, "interval", hours=1, args=[runtime], id="worktree_cleanup",
                      replace_existing=True, next_run_time=datetime.now(UTC) + timedelta(minutes=1))
    scheduler.add_job(_measure_worktrees, "interval", seconds=DISK_CHECK_SECONDS, args=[runtime],
                      id="worktree_disk", replace_existing=True, next_run_time=datetime.now(UTC))
    scheduler.add_job(_export_logs, "interval", seconds=runtime.settings.logs.export_interval_seconds,
                      args=[runtime], id="log_export", replace_existing=True)
    webhooks = WebhookDeliverer(runtime)
    scheduler.add_job(_deliver_webhooks, "interval", seconds=runtime.settings.webhooks.poll_seconds,
                      args=[webhooks], id="webhooks", replace_existing=True)
    runtime.on_queued = lambda: _wake(scheduler)
    scheduler.dispatcher = dispatcher  # type: ignore[attr-defined]
    scheduler.webhooks = webhooks  # type: ignore[attr-defined]
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Stop taking work; running sessions are told to stop and reach a checkpoint."""
    scheduler.shutdown(wait=True)
    scheduler.webhooks.shutdown()  # type: ignore[attr-defined]
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


def _deliver_webhooks(webhooks: WebhookDeliverer) -> None:
    """Hands each webhook with events waiting to the deliverer's pool; returns at once."""
    try:
        webhooks.run_once()
    except Exception:
        log.exception("webhook delivery failed")


def _purge_events(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        removed = housekeeping.purge_events(session, runtime.settings.events.retention_days)
    if removed:
        log.info("purged %d events older than %d days", removed, runtime.settings.events.retention_days)


def _clean_worktrees(runtime: Runtime) -> None:
    """Remove finished cards' worktrees, then measure every project's worktrees afresh."""
    try:
        removed = housekeeping.clean_worktrees(runtime)
        housekeeping.refresh_disk_usage(runtime, only_stale=False)
    except Exception:
        log.exception("worktree clean-up failed")
        return
    if removed:
        log.info("removed the worktrees of %d finished cards", len(removed))


def _measure_worktrees(runtime: Runtime) -> None:
    """Measure the projects whose figure is stale (a session ended, a worktree was removed)."""
    try:
        housekeeping.refresh_disk_usage(runtime)
    except Exception:
        log.exception("measuring worktree disk use failed")


def _export_logs(runtime: Runtime) -> None:
    try:
        log_export.export_pending(runtime)
    except Exception:
        log.exception("log export failed")
