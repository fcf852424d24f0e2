"""Cards reached without their project in the path (seed 002): through an `ak_` key's boards, and
an organization's card lists for people (JWT) and keys.

A key never reads or changes a card of a board it has no access to: such a card is not found,
as is one of another organization; a key that may only read gets 403 when it writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import Board, Card, Project
from orchestrator import api_keys, organizations
from orchestrator.access import Actor, visible_projects
from orchestrator.api_keys import KeyGrant
from orchestrator.errors import Forbidden, NotFound


@dataclass(frozen=True)
class CardFilter:
    project_id: str | None = None
    column_id: str | None = None
    assigned_agent_id: str | None = None
    page: int = 1
    page_size: int = 50


def find_key_card(session: Session, grant: KeyGrant, card_id: str, need: str = "read") -> Card:
    """The card if the key may `need` (read | edit) its board."""
    card = session.get(Card, card_id)
    board = session.get(Board, card.board_id) if card is not None else None
    permission = api_keys.board_permissions(session, grant, [board])[board.id] if board is not None else None
    if card is None or permission is None:
        raise NotFound.of("card", card_id)
    if api_keys.PERMISSIONS.index(permission) < api_keys.PERMISSIONS.index(need):
        raise Forbidden(f"the API key may only read the board of card {card_id}; this needs edit permission")
    return card


def list_org_cards(session: Session, actor: Actor, org_id: str, where: CardFilter) -> tuple[list[Card], int]:
    """The organization's cards in projects the person may see, filtered and paged."""
    organizations.get_organization(session, actor, org_id)
    return _page(session, [Project.organization_id == org_id, visible_projects(actor)], where)


def list_key_org_cards(session: Session, grant: KeyGrant, org_id: str, where: CardFilter) -> tuple[list[Card], int]:
    """The same list for a key: only cards of the organization's boards the key may read."""
    organizations.get_organization(session, grant.owner, org_id)
    board_ids = [board.id for board, _ in api_keys.accessible_boards(session, grant)]
    return _page(session, [Project.organization_id == org_id, Card.board_id.in_(board_ids)], where)


def _page(session: Session, scope: list[ColumnElement[bool]], where: CardFilter) -> tuple[list[Card], int]:
    criteria = [*scope, Card.archived.is_(False)]
    if where.project_id:
        criteria.append(Card.project_id == where.project_id)
    if where.column_id:
        criteria.append(Card.column_id == where.column_id)
    if where.assigned_agent_id:
        criteria.append(Card.assigned_agent_id == where.assigned_agent_id)
    base = select(Card).join(Project, Project.id == Card.project_id).where(*criteria)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    found = session.scalars(base.order_by(Card.created_at, Card.id)
                            .offset((where.page - 1) * where.page_size).limit(where.page_size))
    return list(found), total

