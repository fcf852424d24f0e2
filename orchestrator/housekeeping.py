"""Periodic clean-up jobs: old events, the worktrees of finished cards, and the disk they use.

Git and the filesystem are touched between short transactions, never inside one, so a slow disk
never holds the database's write lock.

The disk figure a project shows (`worktreeDiskBytes`) is measured here and kept in the settings
table (scope `project:<id>`), because walking every worktree on each project-list request would
be far too slow. It is re-measured after a session of the project ends (within the disk job's
interval), after a card's worktree is removed, and in full every clean-up run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from models import (
    ACTIVE_SESSION_STATUSES,
    AgentSession,
    Card,
    Column,
    Event,
    Project,
    Setting,
    iso,
    publish,
    utcnow,
)
from orchestrator import history
from orchestrator.access import SYSTEM
from orchestrator.runtime import Runtime
from orchestrator.runtime_settings import get_setting, put_setting
from workers import worktree

log = logging.getLogger(__name__)
DISK_KEY = "worktreeDiskBytes"


def purge_events(session: Session, retention_days: int) -> int:
    """Drop outbox events older than the retention; clients asking for them must resync.

    The newest event always stays: SQLite hands out max(id) + 1, so emptying the table would
    reuse ids that clients hold as `since`."""
    cutoff = utcnow() - timedelta(days=retention_days)
    newest = select(func.max(Event.id)).scalar_subquery()
    result = session.execute(delete(Event).where(Event.created_at < cutoff, Event.id < newest))
    return result.rowcount or 0


# Worktrees of finished cards -------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    card_id: str
    repo_path: str
    worktree_path: str


def clean_worktrees(runtime: Runtime) -> list[str]:
    """Remove the worktrees of cards done or archived for longer than the retention, unless they
    hold uncommitted work. Branches stay, so the work stays. Returns the cards cleaned."""
    days = runtime.settings.agents.worktree_retention_days
    if days == 0:
        return []
    with runtime.transaction() as db:
        finished = finished_worktrees(db, utcnow() - timedelta(days=days))
    return [item.card_id for item in finished if _remove_if_clean(item) and _forget(runtime, item)]


def finished_worktrees(session: Session, cutoff: datetime) -> list[Finished]:
    """Cards with a worktree, no active session, and done (completed) or archived before `cutoff`."""
    active = exists().where(AgentSession.card_id == Card.id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES))
    archived = or_(Card.archived.is_(True), Column.column_type == "archive")
    rows = session.execute(
        select(Card.id, Project.path, Card.worktree_path)
        .join(Project, Project.id == Card.project_id).join(Column, Column.id == Card.column_id)
        .where(Card.worktree_path.is_not(None), ~active,
               or_(Card.completed_at < cutoff, and_(archived, Card.updated_at < cutoff)))
    ).tuples().all()
    return [Finished(card_id, repo_path, path) for card_id, repo_path, path in rows if path]


def _remove_if_clean(item: Finished) -> bool:
    path = Path(item.worktree_path)
    try:
        if worktree.is_dirty(path):
            log.info("card_id=%s: worktree %s kept: it holds uncommitted work", item.card_id, path)
            return False
        worktree.remove_worktree(item.repo_path, path)
    except worktree.GIT_ERRORS as exc:
        log.warning("card_id=%s: worktree %s not removed: %s", item.card_id, path, exc)
        return False
    return True


def _forget(runtime: Runtime, item: Finished) -> bool:
    """Clear the card's worktree path, unless a session started on it meanwhile (which re-creates
    the worktree at the same path from the branch)."""
    with runtime.transaction() as db:
        card = db.get(Card, item.card_id)
        busy = db.scalar(select(exists().where(AgentSession.card_id == item.card_id,
                                               AgentSession.status.in_(ACTIVE_SESSION_STATUSES))))
        if card is None or card.worktree_path != item.worktree_path or busy:
            return False
        card.worktree_path = None
        history.record(db, card, SYSTEM, "worktree_removed",
                       {"worktree": {"before": item.worktree_path, "after": "removed by clean-up; branch kept"}})
        publish(db, "card.updated", card.project_id, {"cardId": card.id, "changed": ["worktreePath"]}, card.id)
        mark_disk_stale(db, card.project_id)
    log.info("card_id=%s: removed worktree %s", item.card_id, item.worktree_path)
    return True


# Disk used by worktrees ------------------------------------------------------------------------


def worktree_disk_bytes(session: Session, project_ids: list[str]) -> dict[str, int]:
    """The last measured figure per project (absent until first measured)."""
    rows = session.execute(select(Setting.scope, Setting.value).where(
        Setting.key == DISK_KEY, Setting.scope.in_([_scope(pid) for pid in project_ids]))).tuples().all()
    return {scope.split(":", 1)[1]: int(value.get("bytes", 0)) for scope, value in rows if isinstance(value, dict)}


def mark_disk_stale(session: Session, project_id: str) -> None:
    """The project's worktrees changed: the disk job measures it again on its next run."""
    figure = get_setting(session, DISK_KEY, None, _scope(project_id)) or {}
    put_setting(session, DISK_KEY, {"bytes": figure.get("bytes", 0), "measuredAt": None}, _scope(project_id))


def refresh_disk_usage(runtime: Runtime, only_stale: bool = True) -> dict[str, int]:
    """Measure the worktree folders of the projects whose figure is missing or stale (or all)."""
    with runtime.transaction() as db:
        project_ids = _projects_to_measure(db, only_stale)
    measured_at = utcnow()  # before walking: a session ending meanwhile leaves the figure stale
    root = runtime.settings.data_dir / "worktrees"
    figures = {pid: worktree.disk_usage(root / pid) if (root / pid).is_dir() else 0 for pid in project_ids}
    with runtime.transaction() as db:
        for project_id, size in figures.items():
            put_setting(db, DISK_KEY, {"bytes": size, "measuredAt": iso(measured_at)}, _scope(project_id))
        if not only_stale:
            db.execute(delete(Setting).where(Setting.key == DISK_KEY,
                                             Setting.scope.not_in([_scope(pid) for pid in project_ids])))
    return figures


def _projects_to_measure(session: Session, only_stale: bool) -> list[str]:
    project_ids = list(session.scalars(select(Project.id)))
    if not only_stale:
        return project_ids
    stored = dict(session.execute(select(Setting.scope, Setting.value).where(Setting.key == DISK_KEY)).tuples().all())
    last_end = dict(session.execute(
        select(AgentSession.project_id, func.max(AgentSession.ended_at))
        .where(AgentSession.card_id.is_not(None)).group_by(AgentSession.project_id)).tuples().all())
    return [pid for pid in project_ids if _is_stale(stored.get(_scope(pid)), last_end.get(pid))]


def _is_stale(figure: Any, last_session_end: datetime | None) -> bool:
    if not isinstance(figure, dict) or not figure.get("measuredAt"):
        return True
    return last_session_end is not None and last_session_end > datetime.fromisoformat(figure["measuredAt"])


def _scope(project_id: str) -> str:
    return f"project:{project_id}"
