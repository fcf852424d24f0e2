"""The scheduler: one per installation, in `serve`'s worker or in `switchyard daemon`.

Jobs follow APScheduler's advice: explicit ids, replace_existing, max_instances=1, coalesce.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from orchestrator import housekeeping
from orchestrator.runtime import Runtime

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS, timezone="UTC")
    scheduler.add_job(
        _purge_events, "interval", minutes=10, args=[runtime], id="purge_events", replace_existing=True
    )
    return scheduler


def _purge_events(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        removed = housekeeping.purge_events(session, runtime.settings.events.retention_days)
    if removed:
        log.info("purged %d events older than %d days", removed, runtime.settings.events.retention_days)
