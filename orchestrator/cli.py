"""The `switchyard` command line."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from orchestrator.config import CONFIG_FILENAME, ConfigError, Settings, load_settings

STARTER_CONFIG = """# Switchyard configuration. Every setting, its default and meaning: config.example.toml.
# Environment variables override it: SWITCHYARD_<SECTION>_<KEY>, e.g. SWITCHYARD_SERVER_PORT.

[server]
host = "127.0.0.1"
port = 37100
"""


def _options(with_bind: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--config", type=click.Path(path_type=Path), help="TOML settings file")(command)
        command = click.option("--data-dir", type=click.Path(path_type=Path), help="where the database and keys live")(command)
        if with_bind:
            command = click.option("--port", type=int, help="port to listen on (default 37100)")(command)
            command = click.option("--host", help="address to listen on (default 127.0.0.1)")(command)
        return command

    return decorate


def _settings(config: Path | None, data_dir: Path | None, host: str | None = None,
              port: int | None = None, log_file: str | None = None) -> Settings:
    """The settings, and logging configured from them (to <data_dir>/logs/<log_file>.log if named)."""
    from orchestrator.logs import configure_logging

    settings = load_settings(config, data_dir=data_dir, **{"server.host": host, "server.port": port})
    configure_logging(settings, log_file)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Switchyard: a kanban board whose cards are work orders for coding agents."""


@cli.command()
@_options(with_bind=True)
def serve(config: Path | None, data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Run the API and the scheduler in one process."""
    settings = _settings(config, data_dir, host, port, log_file="serve")
    _run_web(settings, with_scheduler=settings.scheduler.enabled)


@cli.command()
@_options(with_bind=True)
def web(config: Path | None, data_dir: Path | None, host: str | None, port: int | None) -> None:
    """Run the API only (pair it with `switchyard daemon` on the same database)."""
    _run_web(_settings(config, data_dir, host, port, log_file="web"), with_scheduler=False)


@cli.command()
@_options(with_bind=False)
def daemon(config: Path | None, data_dir: Path | None) -> None:
    """Run the scheduler only, until SIGTERM or Ctrl-C."""
    from orchestrator.runtime import build_runtime
    from orchestrator.scheduler import build_scheduler, stop_scheduler

    settings = _settings(config, data_dir, log_file="daemon")
    _prepare(settings)
    runtime = build_runtime(settings)
    scheduler = build_scheduler(runtime)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler.start()
    click.echo(f"switchyard daemon running on {settings.database_url}", err=True)
    stop.wait()
    stop_scheduler(scheduler)
    runtime.close()


@cli.command()
@_options(with_bind=False)
@click.option("--concurrency", type=int, help="sessions at once (default: agents.max_concurrent_sessions)")
def worker(config: Path | None, data_dir: Path | None, concurrency: int | None) -> None:
    """Run agent sessions sent by a scheduler whose agents.backend is "celery"."""
    from orchestrator.celery_backend import run_worker

    settings = _settings(config, data_dir, log_file="worker")
    if settings.agents.backend != "celery":
        raise ConfigError('`switchyard worker` runs Celery sessions: set agents.backend = "celery" and '
                          "agents.celery_broker_url (or SWITCHYARD_AGENTS_BACKEND, SWITCHYARD_AGENTS_CELERY_BROKER_URL)")
    _prepare(settings)
    click.echo(f"switchyard worker on {settings.agents.celery_broker_url}, queue {settings.agents.celery_queue}",
               err=True)
    run_worker(settings, concurrency)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@_options(with_bind=False)
def db_upgrade(config: Path | None, data_dir: Path | None) -> None:
    """Apply the database migrations."""
    from models.migrate import current_revision, upgrade

    settings = _settings(config, data_dir)
    upgrade(settings.database_url)
    click.echo(f"database at revision {current_revision(settings.database_url)}")


@db.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@_options(with_bind=False)
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def db_restore(file: Path, config: Path | None, data_dir: Path | None, yes: bool) -> None:
    """Replace the SQLite database with a backup FILE, offline (stop the server first).

    The current database is kept in <data_dir>/backups/pre-restore-*.db; FILE is checked to be a
    Switchyard database at a known migration and upgraded to the current schema.
    """
    from models.migrate import current_revision, upgrade
    from orchestrator.backups import restore_database, sqlite_file
    from orchestrator.errors import DomainError

    settings = _settings(config, data_dir, log_file="db")
    try:
        target = sqlite_file(settings, "db restore")
        if not yes:
            click.confirm(f"Replace {target} with {file}?", abort=True)
        result = restore_database(settings, file)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    upgrade(settings.database_url)
    if result["kept"]:
        click.echo(f"previous database kept as {result['kept']}")
    click.echo(f"restored {file} (migration {result['revision']}); database at revision "
               f"{current_revision(settings.database_url)}")
    click.echo("stored secrets need the same master key (secret.key) as when the backup was made")


@cli.command()
@_options(with_bind=False)
@click.option("--force", is_flag=True, help="overwrite an existing config file")
def init(config: Path | None, data_dir: Path | None, force: bool) -> None:
    """Write a starter config file and the master key (mode 0600)."""
    import platformdirs

    from orchestrator.security import ensure_master_key

    target = config or Path(platformdirs.user_config_dir("switchyard")) / CONFIG_FILENAME
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_starter_config(data_dir))
    settings = _settings(target, data_dir)
    key = ensure_master_key(settings.data_dir)
    os.chmod(key, 0o600)
    click.echo(f"wrote {target}\nmaster key: {key}")


def _starter_config(data_dir: Path | None) -> str:
    """The starter file; it records --data-dir so a later `serve --config` finds the same key."""
    if data_dir is None:
        return STARTER_CONFIG
    line = f"data_dir = {json.dumps(str(data_dir.resolve()))}\n\n"  # a JSON string is a TOML string
    return STARTER_CONFIG.replace("[server]", line + "[server]", 1)


@cli.command()
def version() -> None:
    """Print the version."""
    from importlib.metadata import version as package_version

    click.echo(f"switchyard {package_version('switchyard')}")


def _prepare(settings: Settings) -> None:
    """Everything a process needs before it serves: the data directory's lock, the key, the schema."""
    from models.migrate import upgrade
    from orchestrator.backups import hold_data_dir_lock
    from orchestrator.security import load_master_key

    hold_data_dir_lock(settings)  # first: refuses while a restore replaces the database
    load_master_key(settings)
    upgrade(settings.database_url)


def _run_web(settings: Settings, with_scheduler: bool) -> None:
    from orchestrator import runtime_settings
    from orchestrator.runtime import build_runtime
    from orchestrator.server import run_server

    _prepare(settings)
    runtime = build_runtime(settings)
    with runtime.transaction() as session:
        auth_on = runtime_settings.auth_enabled(session)
    runtime.close()
    if not auth_on and not runtime_settings.is_loopback(settings.server.host):
        raise ConfigError(
            f"refusing to listen on {settings.server.host} with auth off; enable auth first "
            "(PUT /api/settings/auth on a loopback server) or listen on 127.0.0.1"
        )
    click.echo(f"switchyard listening on http://{settings.server.host}:{settings.server.port}", err=True)
    run_server(settings, with_scheduler)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="switchyard", standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"switchyard: {exc}", err=True)
        sys.exit(2)
    except OperationalError as exc:  # the database is unreachable or refuses us
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        click.echo(f"switchyard: cannot use the database: {reason}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
