"""Backups of the SQLite database, and the offline restore.

A backup is a consistent copy made with SQLite's online backup API while the service runs, in
<data_dir>/backups/. On PostgreSQL the database's own tools (pg_dump, pg_restore) are the way,
and these functions say so. Restoring is offline (`switchyard db restore FILE`): every process
that serves a data directory holds a shared lock on <data_dir>/switchyard.lock for its whole
life, and the restore takes it exclusively, so it cannot run beside a server or daemon.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from models import iso
from orchestrator.access import Actor, require_super_admin
from orchestrator.config import ConfigError, Settings
from orchestrator.errors import Conflict, InvalidInput, NotFound, NotSupported
from workers.paths import PathEscape, resolve_inside

log = logging.getLogger(__name__)

BACKUP_DIRNAME = "backups"
LOCK_FILENAME = "switchyard.lock"
FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.db$")
SQLITE_MAGIC = b"SQLite format 3\x00"
REQUIRED_TABLES = {"alembic_version", "projects", "boards", "cards", "users", "settings"}
_held_locks: list[int] = []  # the process's shared lock, open until it exits


def backup_dir(settings: Settings) -> Path:
    return settings.data_dir / BACKUP_DIRNAME


def sqlite_file(settings: Settings, what: str) -> Path:
    """The database file; NotSupported naming PostgreSQL's tools when the database is not SQLite."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise NotSupported(
            f"{what} works on the SQLite database only; this installation uses {url.get_backend_name()}: "
            "use pg_dump to back it up and pg_restore (or psql) to restore it", code="not_supported")
    return Path(url.database)


# Online backups (the API) ----------------------------------------------------------------------


def create_backup(actor: Actor, settings: Settings) -> dict[str, Any]:
    require_super_admin(actor, "making a backup")
    source = sqlite_file(settings, "POST /api/backups")
    directory = backup_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"switchyard-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}.db"
    partial = target.with_name(target.name + ".partial")  # never listed, never a half file
    copy_database(source, partial)
    partial.rename(target)
    log.info("backup created: %s (%d bytes)", target.name, target.stat().st_size)
    return describe(target)


def list_backups(actor: Actor, settings: Settings) -> list[dict[str, Any]]:
    """Backups in the data directory, newest first."""
    require_super_admin(actor, "listing backups")
    directory = backup_dir(settings)
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if p.is_file() and FILENAME.match(p.name)]
    return [describe(p) for p in sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)]


def backup_path(actor: Actor, settings: Settings, filename: str) -> Path:
    """The file to download; the name must be a plain backup file name inside the backup folder."""
    require_super_admin(actor, "downloading a backup")
    if not FILENAME.match(filename):
        raise InvalidInput("filename: not a backup file name (letters, digits, . _ - ending in .db)")
    try:
        path = resolve_inside(backup_dir(settings), filename)
    except PathEscape:
        raise InvalidInput("filename: must name a file in the backup folder") from None
    if not path.is_file():
        raise NotFound.of("backup", filename)
    return path


def describe(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"filename": path.name, "size": stat.st_size,
            "createdAt": iso(datetime.fromtimestamp(stat.st_mtime, UTC))}


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (WAL content included), as one plain file."""
    src = sqlite3.connect(source)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # self-contained: no -wal file beside it
        finally:
            dest.close()
    finally:
        src.close()


# The data directory's lock ---------------------------------------------------------------------


def hold_data_dir_lock(settings: Settings) -> None:
    """Mark the data directory as in use until this process exits (restore refuses meanwhile)."""
    fd = _open_lock(settings)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigError(f"a database restore is running on {settings.data_dir}; start again when it is done") from None
    _held_locks.append(fd)


@contextlib.contextmanager
def exclusive_data_dir(settings: Settings) -> Iterator[None]:
    fd = _open_lock(settings)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"a Switchyard server or daemon is running on {settings.data_dir}; stop it first "
                           "(restore is offline)", code="server_running") from None
        yield
    finally:
        os.close(fd)


def _open_lock(settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return os.open(settings.data_dir / LOCK_FILENAME, os.O_RDWR | os.O_CREAT, 0o600)


# Offline restore (the CLI) ---------------------------------------------------------------------


def restore_database(settings: Settings, source: Path) -> dict[str, Any]:
    """Replace the database with `source`, keeping a copy of the current one in the backups folder.

    `source` must be a Switchyard SQLite database at a migration this version knows; the caller
    upgrades it to the newest schema afterwards.
    """
    target = sqlite_file(settings, "db restore")
    with exclusive_data_dir(settings):
        staging = target.with_name(target.name + ".restoring")
        try:
            _stage(source, staging)
            revision = check_database(staging, known_revisions())
            kept = _keep_current(settings, target)
            for sidecar in ("-wal", "-shm"):  # the old WAL must never be replayed onto the new file
                target.with_name(target.name + sidecar).unlink(missing_ok=True)
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
    log.info("database restored from %s (revision %s); previous database kept as %s", source, revision, kept)
    return {"revision": revision, "kept": kept}


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from models.migrate import alembic_config

    return {script.revision for script in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}


def _stage(source: Path, staging: Path) -> None:
    if not source.is_file():
        raise InvalidInput(f"{source}: no such file")
    with source.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise InvalidInput(f"{source}: not an SQLite database")
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        copy_database(source, staging)  # through SQLite, so a -wal file beside `source` counts too
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source}: not a usable SQLite database: {exc}") from None


def check_database(path: Path, known_revisions: set[str]) -> str:
    """The file's migration revision, if it is a sound Switchyard database this version knows."""
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise InvalidInput(f"{path.name}: the database is damaged (quick_check failed)")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise InvalidInput(f"not a Switchyard database: tables {', '.join(sorted(missing))} are missing")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"not a usable SQLite database: {exc}") from None
    if row is None or row[0] not in known_revisions:
        found = row[0] if row else "none"
        raise InvalidInput(f"the database is at migration {found}, which this version of Switchyard does not "
                           "know (made by a newer version?)")
    return str(row[0])


def _keep_current(settings: Settings, target: Path) -> str | None:
    if not target.exists():
        return None
    directory = backup_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    kept = directory / f"pre-restore-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}.db"
    copy_database(target, kept)
    return str(kept)
