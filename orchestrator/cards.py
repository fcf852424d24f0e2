"""Cards: creation, changes, and `move_card`, the one function that moves a card.

Every way of moving a card (the move route, complete, the flat API, later the other dialects
and auto mode) goes through `move_card`, so the rules about entering a column live here once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row, String, exists, func, select, type_coerce, update
from sqlalchemy.orm import Session

from models import (
    ACTIVE_SESSION_STATUSES,
    PRIORITY_NAMES,
    AgentSession,
    Board,
    Card,
    Column,
    Project,
    User,
    iso,
    publish,
    utcnow,
)
from orchestrator import attachments, card_types, custom_fields, history, transitions, workflow
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.agent_sessions import queue_session, request_cancel
from orchestrator.card_git import release_card_git
from orchestrator.credentials import require_usable_credential
from orchestrator.errors import Conflict, InvalidInput, NotFound
from orchestrator.usage import usage_by
from workers import worktree

SHORT_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
# Card attributes a client may change with an update, by their API names.
EDITABLE = {
    "title": "title",
    "prompt": "prompt",
    "labels": "labels",
    "priority": "priority",
    "dueDate": "due_date",
    "budgetUsd": "budget_usd",
    "autoMode": "auto_mode",
    "assignedAgentId": "assigned_agent_id",
    "assignedUserId": "assigned_user_id",
    "cardTypeId": "card_type_id",
    "fieldValues": "field_values",
}
# What an explicit null means for the fields that cannot be null: cleared, as on creation.
CLEARED = {"prompt": str, "labels": list}
# What a board needs to draw a card; the work order itself (`prompt`) comes with the card.
# Labels and times are read raw: the list hands them on as they are stored (see raw_iso).
SUMMARY_COLUMNS = (
    Card.id, Card.short_id, Card.project_id, Card.board_id, Card.column_id, Card.title,
    type_coerce(Card.labels, String).label("labels"), Card.position, Card.priority,
    type_coerce(Card.due_date, String).label("due_date"), Card.auto_mode, Card.archived,
    Card.deferred, Card.assigned_user_id, Card.assigned_agent_id, Card.pending_column_id,
    type_coerce(Card.updated_at, String).label("updated_at"),
)


def priority_value(name: str) -> int:
    if name not in PRIORITY_NAMES:
        raise InvalidInput(f"priority: must be one of {', '.join(PRIORITY_NAMES)}")
    return PRIORITY_NAMES.index(name)


# Reading ---------------------------------------------------------------------------------------


def get_card(
    session: Session, actor: Actor, project_id: str, card_id: str, need: str = "viewer"
) -> Card:
    return require_in_project(session, actor, Card, "card", project_id, card_id, need)


def find_card(session: Session, actor: Actor, card_id: str, need: str = "viewer") -> Card:
    """A card by id alone (the flat API), with the same visibility rule as its project."""
    card = session.get(Card, card_id)
    if card is None:
        raise NotFound.of("card", card_id)
    try:
        require_project(session, actor, card.project_id, need)
    except NotFound:
        raise NotFound.of("card", card_id) from None
    return card


def list_cards(
    session: Session,
    actor: Actor,
    project_id: str,
    board_id: str | None = None,
    column_id: str | None = None,
    include_archived: bool = False,
) -> Sequence[Row[Any]]:
    """Summary rows (attribute names as on Card) for fast lists; a constant number of queries."""
    require_project(session, actor, project_id)
    query = select(*SUMMARY_COLUMNS).where(Card.project_id == project_id)
    if board_id is not None:
        query = query.where(Card.board_id == board_id)
    if column_id is not None:
        query = query.where(Card.column_id == column_id)
    if not include_archived:
        query = query.where(Card.archived.is_(False))
    # Core execution on the session's connection: same transaction, no ORM row loading.
    return session.connection().execute(query.order_by(Card.column_id, Card.position)).all()


def card_extras(session: Session, project_id: str, card_ids: set[str] | None = None) -> dict[str, Any]:
    """What a card's JSON shows besides its row: active agents and usage, per card id."""
    active_filter = [AgentSession.project_id == project_id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES)]
    if card_ids is not None:
        active_filter.append(AgentSession.card_id.in_(card_ids))
    active = set(session.scalars(select(AgentSession.card_id).where(*active_filter).distinct()))
    criteria = [AgentSession.project_id == project_id]
    if card_ids is not None:
        criteria.append(AgentSession.card_id.in_(card_ids))
    return {"active": active, "usage": usage_by(session, AgentSession.card_id, *criteria)}


def has_active_agent(session: Session, card_id: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    AgentSession.card_id == card_id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES)
                )
            )
        )
    )


# Creating and changing -------------------------------------------------------------------------


def create_card(session: Session, actor: Actor, project_id: str, fields: dict[str, Any]) -> Card:
    require_project(session, actor, project_id, "editor")
    column = _target_column(session, project_id, fields.get("columnId"), fields.get("boardId"))
    card = Card(
        short_id=_new_short_id(session, project_id),
        project_id=project_id,
        board_id=column.board_id,
        column_id=column.id,
        title=fields["title"],
        prompt=fields.get("prompt") or "",
        labels=fields.get("labels") or [],
        priority=priority_value(fields.get("priority") or "none"),
        due_date=fields.get("dueDate"),
        created_by=actor.history_id,
        position=_column_size(session, column.id),
    )
    session.add(card)
    session.flush()
    if fields.get("position") is not None:
        _place(session, card, column.id, fields["position"])
    history.record(session, card, actor, "created", {"title": {"before": None, "after": card.title},
                                                      "columnId": {"before": None, "after": column.id}})
    publish(session, "card.created", project_id, {"cardId": card.id, "columnId": column.id}, card.id)
    _enter_column(session, card, column)
    return card


def update_card(
    session: Session, actor: Actor, project_id: str, card_id: str, fields: dict[str, Any]
) -> Card:
    card = get_card(session, actor, project_id, card_id, "editor")
    return apply_changes(session, actor, card, fields)


def apply_changes(session: Session, actor: Actor, card: Card, fields: dict[str, Any]) -> Card:
    """Set editable fields by API name; records one history row and one event for the change."""
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    for name, empty in CLEARED.items():
        if name in values and values[name] is None:
            values[name] = empty()
    if "priority" in values:
        values["priority"] = priority_value(values["priority"] or "none")
    if "title" in values and not values["title"]:
        raise InvalidInput("title: must not be empty")
    _check_workflow_values(session, card, values)
    before = {name: _comparable(getattr(card, EDITABLE[name])) for name in values}
    for name, value in values.items():
        setattr(card, EDITABLE[name], value)
    changes = history.diff(before, {name: _comparable(v) for name, v in values.items()})
    if changes:
        history.record(session, card, actor, "updated", changes)
        publish(session, "card.updated", card.project_id, {"cardId": card.id, "changed": sorted(changes)}, card.id)
    return card


def set_card_credential(
    session: Session, actor: Actor, project_id: str, card_id: str, credential_id: str | None
) -> Card:
    card = get_card(session, actor, project_id, card_id, "editor")
    if credential_id:
        require_usable_credential(session, actor, credential_id)
    if card.credential_id != credential_id:
        history.record(session, card, actor, "updated",
                       {"credentialId": {"before": card.credential_id, "after": credential_id}})
        card.credential_id = credential_id
        publish(session, "card.updated", project_id, {"cardId": card.id, "changed": ["credentialId"]}, card.id)
    return card


def delete_card(session: Session, actor: Actor, project_id: str, card_id: str, force: bool = False) -> None:
    card = get_card(session, actor, project_id, card_id, "editor")
    if has_active_agent(session, card.id) and not force:
        raise Conflict(f"card {card_id} has an agent session running; cancel it or pass force=true",
                       code="agent_running")
    released = release_card_git(session, card, force)  # first: a dirty worktree refuses the delete
    history.record(session, card, actor, "deleted", {"title": {"before": card.title, "after": None}, **released})
    _close_gap(session, card.column_id, card.position)
    attachments.forget_card_files(session, card.id)  # the files go once the delete commits
    session.delete(card)
    publish(session, "card.deleted", project_id, {"cardId": card_id, "columnId": card.column_id}, card_id)


# Moving ----------------------------------------------------------------------------------------


def move_card(
    session: Session, actor: Actor, card: Card, column_id: str, position: int | None = None
) -> Card:
    """Move a card to a column (any board of its project) at a position (default: the end)."""
    target = session.get(Column, column_id)
    if target is None or target.project_id != card.project_id:
        raise NotFound.of("column", column_id)
    if card.column_id != target.id:  # the board's process, before anything changes
        transitions.check_move(session, actor, card.board_id, card.column_id, target.id)
        workflow.check_required_fields(target.required_fields or [], workflow_values(card), target.name)
    source_id, source_position = card.column_id, card.position
    if source_id != target.id:
        _close_gap(session, source_id, source_position)
        card.column_id, card.board_id = target.id, target.board_id
        card.position = _column_size(session, target.id, excluding=card.id)
        card.pending_column_id = None
    _place(session, card, target.id, position)
    history.record(session, card, actor, "moved", {
        "columnId": {"before": source_id, "after": target.id},
        "position": {"before": source_position, "after": card.position},
    })
    publish(session, "card.moved", card.project_id, {
        "cardId": card.id, "fromColumnId": source_id, "toColumnId": target.id, "position": card.position,
    }, card.id)
    if source_id != target.id:
        _leave_column(session, card, source_id)
        _enter_column(session, card, target)
    return card


def move_card_by_id(
    session: Session, actor: Actor, project_id: str, card_id: str, column_id: str,
    position: int | None = None,
) -> Card:
    return move_card(session, actor, get_card(session, actor, project_id, card_id, "editor"),
                     column_id, position)


def complete_card(session: Session, actor: Actor, project_id: str, card_id: str) -> Card:
    """Move the card to its board's first done column."""
    card = get_card(session, actor, project_id, card_id, "editor")
    done = session.scalar(
        select(Column).where(Column.board_id == card.board_id, Column.column_type == "done")
        .order_by(Column.position).limit(1)
    )
    if done is None:
        raise Conflict(f"board {card.board_id} has no done column to complete the card in",
                       code="no_done_column")
    if card.column_id != done.id:
        move_card(session, actor, card, done.id)
    return card


def activate_card(session: Session, actor: Actor, project_id: str, card_id: str) -> Card:
    """A deferred card takes part in its column again."""
    card = get_card(session, actor, project_id, card_id, "editor")
    if card.deferred:
        card.deferred = False
        history.record(session, card, actor, "activated", {"deferred": {"before": True, "after": False}})
        publish(session, "card.updated", project_id, {"cardId": card.id, "changed": ["deferred"]}, card.id)
        _enter_column(session, card, session.get(Column, card.column_id))
    return card


def set_archived(session: Session, actor: Actor, card: Card, archived: bool) -> Card:
    """Archive a card (its running stage stops; no session starts) or restore it to its column."""
    if card.archived == archived:
        return card
    card.archived = archived
    history.record(session, card, actor, "archived" if archived else "restored",
                   {"archived": {"before": not archived, "after": archived}})
    publish(session, "card.archived" if archived else "card.restored", card.project_id,
            {"cardId": card.id, "columnId": card.column_id}, card.id)
    if archived:
        _leave_column(session, card, card.column_id)
    else:
        _enter_column(session, card, session.get(Column, card.column_id))
    return card


def _leave_column(session: Session, card: Card, column_id: str) -> None:
    """The stage of the column the card left must not go on: its session is cancelled (a running
    one is told to stop; when it has, the card's new column gets its session)."""
    active = session.scalars(select(AgentSession).where(
        AgentSession.card_id == card.id, AgentSession.column_id == column_id,
        AgentSession.status.in_(ACTIVE_SESSION_STATUSES))).all()
    for agent_session in active:
        request_cancel(session, agent_session)


def _enter_column(session: Session, card: Card, column: Column | None) -> None:
    """What entering a column means: an active column queues a session; a done one completes."""
    if column is None:
        return
    if column.column_type == "done":
        card.completed_at = card.completed_at or utcnow()
    elif column.column_type in ("backlog", "active"):
        card.completed_at = None
    queue_session(session, card, column)


# Helpers ---------------------------------------------------------------------------------------


def _target_column(session: Session, project_id: str, column_id: str | None, board_id: str | None) -> Column:
    if column_id:
        column = session.get(Column, column_id)
        if column is None or column.project_id != project_id or (board_id and column.board_id != board_id):
            raise NotFound.of("column", column_id)
        return column
    query = select(Column).join(Board, Board.id == Column.board_id).where(Board.project_id == project_id)
    if board_id:
        board = session.get(Board, board_id)
        if board is None or board.project_id != project_id:
            raise NotFound.of("board", board_id)
        query = query.where(Board.id == board_id)
    column = session.scalar(query.order_by(Board.position, Column.position).limit(1))
    if column is None:
        raise Conflict("the project has no column to put the card in; create a board first", code="no_column")
    return column


def _new_short_id(session: Session, project_id: str) -> str:
    while True:
        short_id = "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(8))
        taken = session.scalar(
            select(exists().where(Card.project_id == project_id, Card.short_id == short_id))
        )
        if not taken:
            return short_id


def _column_size(session: Session, column_id: str, excluding: str | None = None) -> int:
    query = select(func.count()).select_from(Card).where(Card.column_id == column_id)
    if excluding:
        query = query.where(Card.id != excluding)
    return session.scalar(query) or 0


def _close_gap(session: Session, column_id: str, position: int) -> None:
    _shift(session, -1, Card.column_id == column_id, Card.position > position)


def _shift(session: Session, by: int, *criteria: Any) -> None:
    """Move the matching cards `by` places. Their `updated_at` stays as it was: a card pushed
    along by its neighbour's move has not changed, and must not show as unread."""
    session.execute(
        update(Card).where(*criteria).values(position=Card.position + by, updated_at=Card.updated_at)
        .execution_options(synchronize_session=False)
    )


def _place(session: Session, card: Card, column_id: str, position: int | None) -> None:
    """Put `card` (already counted at the end of the column) at `position`, shifting the rest."""
    if position is None:
        return
    size = _column_size(session, column_id, excluding=card.id)
    position = max(0, min(position, size))
    if position == card.position:
        return
    _close_gap(session, column_id, card.position)
    _shift(session, 1, Card.column_id == column_id, Card.position >= position, Card.id != card.id)
    card.position = position


def workflow_values(card: Card) -> dict[str, Any]:
    """What a column's required fields look at: the built-ins by API name, custom fields by id."""
    return {**(card.field_values or {}), "title": card.title, "assignedAgentId": card.assigned_agent_id,
            "assignedUserId": card.assigned_user_id, "priority": card.priority, "dueDate": card.due_date}


def _check_workflow_values(session: Session, card: Card, values: dict[str, Any]) -> None:
    """Turn the workflow fields of an update into what is stored, refusing values the project's
    fields, card types or users do not accept (before anything is set)."""
    if "fieldValues" in values:  # an explicit null clears every value; a list sets (or clears) those named
        updates = values["fieldValues"]
        values["fieldValues"] = {} if updates is None else custom_fields.merged_values(
            session, card.project_id, card.field_values, updates)
    if "cardTypeId" in values:
        card_types.check_card_type(session, card.project_id, values["cardTypeId"])
    if values.get("assignedUserId") and session.get(User, values["assignedUserId"]) is None:
        raise InvalidInput(f"assignedUserId: no user {values['assignedUserId']}")


def _comparable(value: Any) -> Any:
    """History stores JSON: times as ISO strings."""
    return iso(value) if isinstance(value, datetime) else value


def card_diff(session: Session, card: Card) -> dict[str, Any]:
    """The card's changes against its fork point. A card no agent has worked on has none."""
    if not card.worktree_path or not Path(card.worktree_path).exists():
        return {"diff": "", "stats": {"filesChanged": 0, "insertions": 0, "deletions": 0}, "files": []}
    project = session.get(Project, card.project_id)
    return worktree.diff(Path(card.worktree_path), project.base_branch if project else "main")
