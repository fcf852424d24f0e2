"""The long-lived parts one process shares: settings, database, keyring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import make_engine, make_session_factory
from orchestrator.config import Settings
from orchestrator.security import Keyring, load_master_key


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    on_queued: Callable[[], None] | None = None  # set by the scheduler in this process

    def notify_queued(self) -> None:
        if self.on_queued is not None:
            self.on_queued()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session, one transaction: committed on success, rolled back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        keyring=Keyring(load_master_key(settings)),
    )
