"""Reading the event outbox: what a WebSocket client is sent, and what it missed.

Events are read back in id order. A client that reconnects says which event it saw last
(`since`); everything of its project after that id is replayed, unless the outbox no longer holds
it (purged after `[events] retention_days`), in which case it must reload (`resync_required`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models import Board, Event, iso, utcnow
from orchestrator import api_keys, users
from orchestrator.access import LOCAL, Actor, require_project
from orchestrator.errors import DomainError, NotFound, Unauthenticated
from orchestrator.security import Keyring
from orchestrator.team import keys as team_keys

PAGE = 500  # events read per query, replaying or following the outbox
EVENT_COLUMNS = (Event.id, Event.type, Event.project_id, Event.data, Event.created_at)


class ResyncRequired(DomainError):
    """The client's `since` is older than the retained events (or newer than any: the database was
    replaced); replaying cannot bring it up to date, so it reloads the project's state."""

    code = "resync_required"

    def __init__(self, message: str, last_event_id: int) -> None:
        super().__init__(message)
        self.last_event_id = last_event_id


def frame(row: Row[Any]) -> bytes:
    """An event as sent to clients: `{"id", "type", "projectId", "data", "at"}`, as UTF-8 JSON,
    serialised once however many clients receive it."""
    return orjson.dumps({"id": row.id, "type": row.type, "projectId": row.project_id, "data": row.data,
                         "at": iso(row.created_at)})


def delta_frame(project_id: str, card_id: str | None, session_id: str, text: str) -> bytes:
    """Streaming text of an agent's reply: sent to connected clients only, never stored, so its id
    is null; the whole message follows as `message.created` once complete."""
    return orjson.dumps({"id": None, "type": "message.delta", "projectId": project_id,
                         "data": {"sessionId": session_id, "cardId": card_id, "text": text},
                         "at": iso(utcnow())})


def latest_event_id(session: Session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0


def events_after(session: Session, after_id: int, limit: int = PAGE) -> Sequence[Row[Any]]:
    """Committed events of every project after `after_id`, oldest first (the hub follows these)."""
    query = select(*EVENT_COLUMNS).where(Event.id > after_id).order_by(Event.id).limit(limit)
    return session.execute(query).all()


def project_events(session: Session, project_id: str, after_id: int, through_id: int) -> Sequence[Row[Any]]:
    """A page of a project's events with after_id < id <= through_id, oldest first."""
    query = (select(*EVENT_COLUMNS)
             .where(Event.project_id == project_id, Event.id > after_id, Event.id <= through_id)
             .order_by(Event.id).limit(PAGE))
    return session.execute(query).all()


def check_since(session: Session, since: int) -> None:
    """Raise ResyncRequired unless every event after `since` is still in the outbox.

    The purge removes the oldest events, so a gap between `since` and the oldest retained id means
    events were lost; the purge always keeps the newest event, so ids are never handed out twice.
    """
    oldest, newest = session.execute(select(func.min(Event.id), func.max(Event.id))).one()
    newest = newest or 0
    if since > newest:
        raise ResyncRequired(f"since={since} is newer than the newest event ({newest}): the database was "
                             "replaced; reload the project", newest)
    if oldest is not None and since < oldest - 1:
        raise ResyncRequired(f"events after {since} are no longer kept (the oldest is {oldest}); "
                             "reload the project, then subscribe with since=lastEventId", newest)


# Who may follow which project ------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who a connection speaks for; a key also confines it (events are per project, so an `ak_`
    key follows only projects whose every board it covers, a `tb_` key only its workspace)."""

    actor: Actor
    project_id: str | None = None
    boards: frozenset[str] | None = None


def audience_for(session: Session, keyring: Keyring, token: str | None, auth_on: bool) -> Audience | None:
    """A user's token or an API key; None (close 4001) if auth is on and neither is valid."""
    try:
        if token and token.startswith(api_keys.KEY_PREFIX):
            grant = api_keys.authenticate(session, token)
            return Audience(grant.actor, boards=None if grant.all_boards else frozenset(grant.boards))
        if token and token.startswith(team_keys.KEY_PREFIX):
            team = team_keys.authenticate(session, token)
            return Audience(team.actor, project_id=team.project_id)
    except Unauthenticated:
        return None if auth_on else Audience(LOCAL)
    actor = users.actor_for_token(session, keyring, token) if token else None
    if actor is not None:
        return Audience(actor)
    return None if auth_on else Audience(LOCAL)


def require_audience(session: Session, audience: Audience, project_id: str) -> None:
    """NotFound unless this audience may follow the project (as for reading it over REST)."""
    require_project(session, audience.actor, project_id)
    outside_key = (audience.project_id is not None and audience.project_id != project_id) or (
        audience.boards is not None and not set(
            session.scalars(select(Board.id).where(Board.project_id == project_id))) <= audience.boards)
    if outside_key:
        raise NotFound.of("project", project_id)
