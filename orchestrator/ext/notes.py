"""Seed 000's comments and todos on a task, through orchestrator.card_notes.

A comment's `source` (api or agent) becomes its author type, so integrations can tell a person's,
an integration's and an agent's words apart (`authorSource`); a todo keeps its source too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Comment, Todo
from orchestrator import card_notes
from orchestrator.api_keys import KeyGrant
from orchestrator.errors import InvalidInput
from orchestrator.ext.tasks import get_task


def list_comments(session: Session, grant: KeyGrant, board_id: str, task_id: str) -> list[Comment]:
    return card_notes.list_comments(session, get_task(session, grant, board_id, task_id))


def add_comment(session: Session, grant: KeyGrant, board_id: str, task_id: str, fields: dict[str, Any]) -> Comment:
    card = get_task(session, grant, board_id, task_id, "edit")
    return card_notes.add_comment(session, grant.actor, card, fields["body"],
                                  author_name=fields.get("authorName") or grant.name,
                                  author_type=fields.get("source") or "api")


def delete_comment(session: Session, grant: KeyGrant, board_id: str, task_id: str, comment_id: str) -> None:
    card_notes.delete_comment(session, get_task(session, grant, board_id, task_id, "edit"), comment_id)


def list_todos(session: Session, grant: KeyGrant, board_id: str, task_id: str) -> list[Todo]:
    """Ordered by iteration, then by the task's own todo order."""
    return card_notes.list_todos(session, get_task(session, grant, board_id, task_id))


def add_todo(session: Session, grant: KeyGrant, board_id: str, task_id: str, fields: dict[str, Any]) -> Todo:
    card = get_task(session, grant, board_id, task_id, "edit")
    todo = card_notes.add_todo(session, card, fields["text"], iteration=fields.get("iteration") or 0,
                               source=fields.get("source") or "api")
    if fields.get("done"):
        card_notes.update_todo(session, card, todo.id, {"done": True})
    return todo


def get_todo(session: Session, grant: KeyGrant, board_id: str, task_id: str, todo_id: str) -> Todo:
    return card_notes.get_todo(session, get_task(session, grant, board_id, task_id), todo_id)


def update_todo(session: Session, grant: KeyGrant, board_id: str, task_id: str, todo_id: str,
                fields: dict[str, Any]) -> Todo:
    card = get_task(session, grant, board_id, task_id, "edit")
    return card_notes.update_todo(session, card, todo_id, fields)


def delete_todo(session: Session, grant: KeyGrant, board_id: str, task_id: str, todo_id: str) -> None:
    card_notes.delete_todo(session, get_task(session, grant, board_id, task_id, "edit"), todo_id)


def reorder_todos(session: Session, grant: KeyGrant, board_id: str, task_id: str, ids: list[str]) -> list[Todo]:
    card = get_task(session, grant, board_id, task_id, "edit")
    try:
        card_notes.reorder_todos(session, card, ids)
    except InvalidInput as error:  # the one ordering rule names its field `ids`; this body's is orderedIds
        raise InvalidInput(error.message.replace("ids:", "orderedIds:", 1)) from None
    return card_notes.list_todos(session, card)
