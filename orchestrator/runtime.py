"""The long-lived parts one process shares: settings, database, keyring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import make_engine, make_session_factory
from models.events import announce_commits
from orchestrator.config import Settings
from orchestrator.security import Keyring, load_master_key


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    on_queued: Callable[[], None] | None = None  # set by the scheduler in this process
    hub: Any = None  # orchestrator.live.LiveHub, started by this process's first WebSocket

    def notify_queued(self) -> None:
        if self.on_queued is not None:
            self.on_queued()

    def notify_events(self) -> None:
        """Events committed in this process: the hub, if any, reads them at once."""
        if self.hub is not None:
            self.hub.wake()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session, one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        if self.hub is not None:
            self.hub.stop()
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        keyring=Keyring(load_master_key(settings)),
    )
    announce_commits(runtime.sessions, runtime.notify_events)
    return runtime
