"""View marks: which cards changed since a person last looked at them (unread cards).

A card is unread for a person when they have never viewed it, or when the card or one of its
agent sessions changed after their view mark. Marking a whole project read writes a mark on every
card in two statements, so the unread rule stays one comparison.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, insert, literal, or_, select
from sqlalchemy.orm import Session

from models import AgentSession, Card, CardView, utcnow
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.user_settings import reader_id


def mark_card_viewed(session: Session, actor: Actor, project_id: str, card_id: str) -> None:
    card = require_in_project(session, actor, Card, "card", project_id, card_id)
    reader = reader_id(actor)
    mark = session.get(CardView, (reader, card.id))
    if mark is None:
        session.add(CardView(reader=reader, card_id=card.id, viewed_at=utcnow()))
    else:
        mark.viewed_at = utcnow()


def mark_project_read(session: Session, actor: Actor, project_id: str) -> None:
    require_project(session, actor, project_id)
    reader = reader_id(actor)
    project_cards = select(Card.id).where(Card.project_id == project_id)
    session.execute(delete(CardView).where(CardView.reader == reader, CardView.card_id.in_(project_cards)))
    session.execute(insert(CardView).from_select(
        ["reader", "card_id", "viewed_at"],
        select(literal(reader), Card.id, literal(utcnow(), CardView.viewed_at.type))
        .where(Card.project_id == project_id),
    ))


def unread_card_ids(session: Session, actor: Actor, project_id: str, card_ids: set[str] | None = None) -> set[str]:
    """The project's cards (or those of `card_ids`) that are unread for the actor."""
    if not (actor.local or actor.user_id):
        return set()  # keys and agents have no view marks
    reader = reader_id(actor)
    session_changed = exists().where(AgentSession.card_id == Card.id, AgentSession.updated_at > CardView.viewed_at)
    query = (
        select(Card.id)
        .outerjoin(CardView, and_(CardView.card_id == Card.id, CardView.reader == reader))
        .where(Card.project_id == project_id)
        .where(or_(CardView.viewed_at.is_(None), Card.updated_at > CardView.viewed_at, session_changed))
    )
    if card_ids is not None:
        query = query.where(Card.id.in_(card_ids))
    return set(session.scalars(query))


def forget_reader(session: Session, user_id: str) -> None:
    """Remove a deleted user's view marks."""
    session.execute(delete(CardView).where(CardView.reader == user_id))
