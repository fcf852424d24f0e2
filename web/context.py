"""Request-scoped access to the runtime, the database session and the acting user."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from orchestrator.access import Actor
from orchestrator.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["switchyard"]


def db() -> Session:
    """The request's one session; web/app.py commits it when the view succeeds."""
    if "db" not in g:
        g.db = runtime().sessions()
    return g.db


def actor() -> Actor:
    return g.actor
