"""/tasks-api.php?action=… (seed 003): one route, the action in the query, `{"success": …}` replies.

Errors come in the dialect's own shape from web/errors.py (upper-case codes).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel
from werkzeug.exceptions import MethodNotAllowed

from models import iso, utcnow
from orchestrator import tasks_api
from orchestrator.errors import InvalidInput
from web.context import db
from web.ext.auth import TASKS_API_PATH, key_grant
from web.schemas.tasks_api import ChatMessage, TaskAdd, TaskMove, TasksApiQuery

bp = APIBlueprint("tasks_api", __name__, abp_tags=[Tag(name="Tasks API (seed 003)")],
                  abp_security=[{"bearer": []}])
READS = ("todo", "doing", "done")
WRITES = ("add", "move", "chat")


@bp.get(TASKS_API_PATH)
def read_tasks(query: TasksApiQuery):  # type: ignore[no-untyped-def]
    """action=todo, doing or done: the tasks in those columns of the key's board."""
    action = _action(query, READS)
    found = tasks_api.list_tasks(db(), key_grant(), action)
    return {"success": True, "tasks": [tasks_api.task_json(card, column) for card, column in found],
            "count": len(found)}


@bp.post(TASKS_API_PATH)
def write_tasks(query: TasksApiQuery):  # type: ignore[no-untyped-def]
    """action=add ({title, …}), move ({task_id, to}) or chat ({message})."""
    action = _action(query, WRITES)
    if action == "chat":
        reply = tasks_api.chat(db(), key_grant(), _body(ChatMessage).message)
        return {"success": True, "reply": reply, "timestamp": iso(utcnow())}
    if action == "add":
        card, column = tasks_api.add_task(db(), key_grant(), _body(TaskAdd).model_dump())
    else:
        move = _body(TaskMove)
        card, column = tasks_api.move_task(db(), key_grant(), move.task_id, move.to)
    return {"success": True, "task": tasks_api.task_brief(card, column)}


def _action(query: TasksApiQuery, allowed: tuple[str, ...]) -> str:
    if query.action in allowed:
        return query.action  # type: ignore[return-value]
    if query.action in READS + WRITES:
        raise MethodNotAllowed(description=f"action={query.action} needs "
                                           f"{'GET' if query.action in READS else 'POST'}")
    raise InvalidInput(f"unknown action {query.action!r}: use todo, doing or done (GET), add, move or chat (POST)",
                       code="invalid_action")


def _body(model: type[BaseModel]) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object sent as application/json", code="invalid_body")
    return model.model_validate(data)
