"""/api/ext/v1 tasks, their comments and todos (seed 000)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.ext import notes, tasks
from orchestrator.ext.shapes import comment_json, task_detail_json, task_json, todo_json
from web.context import db
from web.ext.auth import EXT_PREFIX, key_grant
from web.responses import created, no_content, ok
from web.schemas.ext import (
    ExtBoardPath,
    ExtCommentCreate,
    ExtCommentPath,
    ExtTaskCreate,
    ExtTaskMove,
    ExtTaskPath,
    ExtTaskQuery,
    ExtTaskUpdate,
    ExtTodoCreate,
    ExtTodoPath,
    ExtTodoReorder,
    ExtTodoUpdate,
)

bp = APIBlueprint("ext_tasks", __name__, url_prefix=f"{EXT_PREFIX}/boards/<boardId>/tasks",
                  abp_tags=[Tag(name="External API: tasks")], abp_security=[{"bearer": []}])


@bp.get("")
def list_tasks(path: ExtBoardPath, query: ExtTaskQuery):  # type: ignore[no-untyped-def]
    found = tasks.list_tasks(db(), key_grant(), path.boardId, query.laneId, query.includeArchived,
                             query.shortIdPrefix)
    return ok([task_json(card) for card in found])


@bp.post("")
def create_task(path: ExtBoardPath, body: ExtTaskCreate):  # type: ignore[no-untyped-def]
    card = tasks.create_task(db(), key_grant(), path.boardId, body.changes())
    return created({"id": card.id, "title": card.title, "laneId": card.column_id})


@bp.get("/<taskId>")
def get_task(path: ExtTaskPath):  # type: ignore[no-untyped-def]
    card = tasks.get_task(db(), key_grant(), path.boardId, path.taskId)
    return ok(task_detail_json(card, tasks.last_turn_at(db(), card.id)))


@bp.patch("/<taskId>")
def update_task(path: ExtTaskPath, body: ExtTaskUpdate):  # type: ignore[no-untyped-def]
    """Answers the task's id and the fields the request changed, as they now are."""
    changes = body.changes(nullable=("description", "tags"))
    card = tasks.update_task(db(), key_grant(), path.boardId, path.taskId, changes)
    current = task_detail_json(card, None)
    return ok({"id": card.id, **{name: current[name] for name in changes if name in current}})


@bp.post("/<taskId>/move")
def move_task(path: ExtTaskPath, body: ExtTaskMove):  # type: ignore[no-untyped-def]
    card = tasks.move_task(db(), key_grant(), path.boardId, path.taskId, body.laneId, body.position)
    return ok({"id": card.id, "laneId": card.column_id, "position": card.position})


@bp.delete("/<taskId>")
def delete_task(path: ExtTaskPath):  # type: ignore[no-untyped-def]
    tasks.delete_task(db(), key_grant(), path.boardId, path.taskId)
    return no_content()


# Comments --------------------------------------------------------------------------------------


@bp.get("/<taskId>/comments")
def list_comments(path: ExtTaskPath):  # type: ignore[no-untyped-def]
    return ok([comment_json(c) for c in notes.list_comments(db(), key_grant(), path.boardId, path.taskId)])


@bp.post("/<taskId>/comments")
def add_comment(path: ExtTaskPath, body: ExtCommentCreate):  # type: ignore[no-untyped-def]
    comment = notes.add_comment(db(), key_grant(), path.boardId, path.taskId, body.changes())
    return created(comment_json(comment))


@bp.delete("/<taskId>/comments/<commentId>")
def delete_comment(path: ExtCommentPath):  # type: ignore[no-untyped-def]
    notes.delete_comment(db(), key_grant(), path.boardId, path.taskId, path.commentId)
    return no_content()


# Todos -----------------------------------------------------------------------------------------


@bp.get("/<taskId>/todos")
def list_todos(path: ExtTaskPath):  # type: ignore[no-untyped-def]
    return ok([todo_json(t) for t in notes.list_todos(db(), key_grant(), path.boardId, path.taskId)])


@bp.post("/<taskId>/todos")
def add_todo(path: ExtTaskPath, body: ExtTodoCreate):  # type: ignore[no-untyped-def]
    return created(todo_json(notes.add_todo(db(), key_grant(), path.boardId, path.taskId, body.changes())))


@bp.post("/<taskId>/todos/reorder")
def reorder_todos(path: ExtTaskPath, body: ExtTodoReorder):  # type: ignore[no-untyped-def]
    ordered = notes.reorder_todos(db(), key_grant(), path.boardId, path.taskId, body.orderedIds)
    return ok([todo_json(t) for t in ordered])


@bp.get("/<taskId>/todos/<todoId>")
def get_todo(path: ExtTodoPath):  # type: ignore[no-untyped-def]
    return ok(todo_json(notes.get_todo(db(), key_grant(), path.boardId, path.taskId, path.todoId)))


@bp.patch("/<taskId>/todos/<todoId>")
def update_todo(path: ExtTodoPath, body: ExtTodoUpdate):  # type: ignore[no-untyped-def]
    todo = notes.update_todo(db(), key_grant(), path.boardId, path.taskId, path.todoId, body.changes())
    return ok(todo_json(todo))


@bp.delete("/<taskId>/todos/<todoId>")
def delete_todo(path: ExtTodoPath):  # type: ignore[no-untyped-def]
    notes.delete_todo(db(), key_grant(), path.boardId, path.taskId, path.todoId)
    return no_content()
