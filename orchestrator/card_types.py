"""Card types per project: task, bug and feature are built in; a project may add its own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CardType
from orchestrator.access import Actor, require_project
from orchestrator.errors import Conflict, InvalidInput

BUILTIN_TYPES = ("task", "bug", "feature")


def list_card_types(session: Session, actor: Actor, project_id: str) -> list[CardType]:
    require_project(session, actor, project_id)
    return ensure_builtin_types(session, project_id)


def create_card_type(session: Session, actor: Actor, project_id: str, name: str) -> CardType:
    require_project(session, actor, project_id, "editor")
    existing = ensure_builtin_types(session, project_id)
    if any(t.name.lower() == name.lower() for t in existing):
        raise Conflict(f"the project already has a card type named {name!r}", code="card_type_exists")
    card_type = CardType(project_id=project_id, name=name, builtin=False)
    session.add(card_type)
    session.flush()
    return card_type


def check_card_type(session: Session, project_id: str, card_type_id: str | None) -> None:
    if card_type_id is None:
        return
    ensure_builtin_types(session, project_id)
    card_type = session.get(CardType, card_type_id)
    if card_type is None or card_type.project_id != project_id:
        raise InvalidInput(f"cardTypeId: {card_type_id} is not a card type of this project")


def ensure_builtin_types(session: Session, project_id: str) -> list[CardType]:
    """The project's types, the built-in ones made on first use (projects made before card types
    existed, and new ones, get them the same way)."""
    types = _types(session, project_id)
    have = {t.name for t in types if t.builtin}
    missing = [name for name in BUILTIN_TYPES if name not in have]
    if missing:
        for name in missing:
            session.add(CardType(project_id=project_id, name=name, builtin=True))
        session.flush()
        types = _types(session, project_id)
    return types


def _types(session: Session, project_id: str) -> list[CardType]:
    """Built-in types first in their fixed order, then the project's own by name."""
    found = session.scalars(select(CardType).where(CardType.project_id == project_id))
    return sorted(found, key=lambda t: (not t.builtin, BUILTIN_TYPES.index(t.name) if t.builtin else 0,
                                        t.name, t.id))
