"""Comments and todos on a card."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Comment, Todo
from orchestrator import card_notes, cards
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.card_notes import CommentBody, TodoCreate, TodoPath, TodoUpdate
from web.schemas.common import ProjectCardPath

bp = APIBlueprint("card_notes", __name__, url_prefix="/api/projects/<projectId>/cards/<cardId>",
                  abp_tags=[Tag(name="Comments and todos")], abp_security=[{"bearer": []}])


def comment_json(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "cardId": comment.card_id, "body": comment.body, "authorType": comment.author_type,
            "authorId": comment.author_id, "authorName": comment.author_name,
            "createdAt": iso(comment.created_at)}


def todo_json(todo: Todo) -> dict[str, Any]:
    return {"id": todo.id, "cardId": todo.card_id, "text": todo.text, "done": todo.done,
            "position": todo.position, "iteration": todo.iteration, "completedAt": iso(todo.completed_at),
            "createdAt": iso(todo.created_at)}


def _card(path: ProjectCardPath, need: str = "viewer"):  # type: ignore[no-untyped-def]
    return cards.get_card(db(), actor(), path.projectId, path.cardId, need)


@bp.get("/comments")
def list_comments(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    return ok([comment_json(c) for c in card_notes.list_comments(db(), _card(path))])


@bp.post("/comments")
def add_comment(path: ProjectCardPath, body: CommentBody):  # type: ignore[no-untyped-def]
    return created(comment_json(card_notes.add_comment(db(), actor(), _card(path, "editor"), body.body)))


@bp.get("/todos")
def list_todos(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    return ok([todo_json(t) for t in card_notes.list_todos(db(), _card(path))])


@bp.post("/todos")
def add_todo(path: ProjectCardPath, body: TodoCreate):  # type: ignore[no-untyped-def]
    return created(todo_json(card_notes.add_todo(db(), _card(path, "editor"), body.text)))


@bp.patch("/todos/<todoId>")
def update_todo(path: TodoPath, body: TodoUpdate):  # type: ignore[no-untyped-def]
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return ok(todo_json(card_notes.update_todo(db(), _card(path, "editor"), path.todoId, changes)))


@bp.delete("/todos/<todoId>")
def delete_todo(path: TodoPath):  # type: ignore[no-untyped-def]
    card_notes.delete_todo(db(), _card(path, "editor"), path.todoId)
    return no_content()
