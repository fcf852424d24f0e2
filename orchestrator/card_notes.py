"""What people and agents note on a card: comments and todos."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Card, Comment, Todo, publish, utcnow
from orchestrator.access import Actor
from orchestrator.errors import NotFound
from orchestrator.notifications import notify
from orchestrator.ordering import apply_order
from orchestrator.runtime import Runtime

AUTHOR_TYPES = {"user": "user", "api_key": "api", "agent": "agent", "system": "agent"}


def list_comments(session: Session, card: Card) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.card_id == card.id).order_by(Comment.created_at)))


def add_comment(session: Session, actor: Actor, card: Card, body: str, author_name: str = "",
                author_type: str | None = None) -> Comment:
    """`author_type` overrides what the actor implies (an integration relaying an agent's words)."""
    comment = Comment(card_id=card.id, author_type=author_type or AUTHOR_TYPES.get(actor.kind, "user"),
                      author_id=actor.history_id, author_name=author_name or actor.name, body=body)
    session.add(comment)
    session.flush()
    publish(session, "comment.created", card.project_id, {"cardId": card.id, "commentId": comment.id}, card.id)
    notify(session, "commentAdded", card, f"{comment.author_name or 'someone'} commented: {body[:200]}",
           commentId=comment.id)
    return comment


def delete_comment(session: Session, card: Card, comment_id: str) -> None:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.card_id != card.id:
        raise NotFound.of("comment", comment_id)
    session.delete(comment)
    publish(session, "comment.deleted", card.project_id, {"cardId": card.id, "commentId": comment_id}, card.id)


def list_todos(session: Session, card: Card) -> list[Todo]:
    return list(session.scalars(select(Todo).where(Todo.card_id == card.id)
                                .order_by(Todo.iteration, Todo.position, Todo.created_at)))


def add_todo(session: Session, card: Card, text: str, iteration: int = 0, source: str | None = None) -> Todo:
    position = session.scalar(select(func.count()).select_from(Todo).where(Todo.card_id == card.id))
    todo = Todo(card_id=card.id, text=text, position=position, iteration=iteration, source=source)
    session.add(todo)
    session.flush()
    publish(session, "todo.created", card.project_id, {"cardId": card.id, "todoId": todo.id}, card.id)
    return todo


def update_todo(session: Session, card: Card, todo_id: str, changes: dict[str, Any]) -> Todo:
    todo = _todo(session, card, todo_id)
    if "text" in changes:
        todo.text = changes["text"]
    if "done" in changes:
        todo.done = changes["done"]
        todo.completed_at = utcnow() if todo.done else None
    if "iteration" in changes:
        todo.iteration = changes["iteration"]
    publish(session, "todo.updated", card.project_id, {"cardId": card.id, "todoId": todo.id}, card.id)
    return todo


def delete_todo(session: Session, card: Card, todo_id: str) -> None:
    session.delete(_todo(session, card, todo_id))
    publish(session, "todo.deleted", card.project_id, {"cardId": card.id, "todoId": todo_id}, card.id)


def reorder_todos(session: Session, card: Card, ids: list[str]) -> list[Todo]:
    """Give the card's todos the order of `ids` (which must name each once)."""
    ordered = apply_order(list_todos(session, card), ids, "todo of the card")
    publish(session, "todo.updated", card.project_id, {"cardId": card.id, "order": ids}, card.id)
    return ordered  # type: ignore[return-value]


def get_todo(session: Session, card: Card, todo_id: str) -> Todo:
    return _todo(session, card, todo_id)


def _todo(session: Session, card: Card, todo_id: str) -> Todo:
    todo = session.get(Todo, todo_id)
    if todo is None or todo.card_id != card.id:
        raise NotFound.of("todo", todo_id)
    return todo


class AgentBoard:
    """The board tools of a running agent, through the same functions people's requests use."""

    def __init__(self, runtime: Runtime, card_id: str, session_id: str) -> None:
        self.runtime, self.card_id = runtime, card_id
        self.actor = Actor(kind="agent", name="agent", user_id=None)
        self.session_id = session_id

    def add_todo(self, text: str) -> str:
        with self.runtime.transaction() as db:
            return add_todo(db, self._card(db), text, source="agent").id

    def complete_todo(self, todo_id: str) -> bool:
        with self.runtime.transaction() as db:
            try:
                update_todo(db, self._card(db), todo_id, {"done": True})
            except NotFound:
                return False
            return True

    def add_comment(self, body: str) -> str:
        with self.runtime.transaction() as db:
            return add_comment(db, self.actor, self._card(db), body, author_name="agent").id

    def _card(self, db: Session) -> Card:
        card = db.get(Card, self.card_id)
        if card is None:
            raise NotFound.of("card", self.card_id)
        return card
