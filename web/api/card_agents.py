"""Seed 002's agent routes (`ak_` keys: a card by id, its update and move, an organization's cards)
and the organization card list for people.

web/guards.py sends the `/mcp` paths through key authentication (web/ext/auth.py), so a person's
token is refused there; the key's boards bound what it reads and changes. A body's `agentId` is
the actor id its history rows name.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Card
from orchestrator import card_scope, cards, custom_fields
from orchestrator.access import Actor
from web.api.cards import card_summary_json
from web.api.flat_cards import flat_card_json
from web.context import actor, db
from web.ext.auth import key_grant
from web.responses import iso, ok
from web.schemas.common import IdPath
from web.schemas.workflow import (
    NULLABLE_CARD_FIELDS,
    AgentCardUpdate,
    AgentStatusBody,
    OrgCardsQuery,
    OrgPath,
)

bp = APIBlueprint("card_agents", __name__, url_prefix="/api", abp_tags=[Tag(name="Cards (agents)")],
                  abp_security=[{"bearer": []}])


def _agent_actor(agent_id: str | None) -> Actor:
    """The key's actor, named in history by the agent the body gives (else by the key)."""
    base = key_grant().actor
    return replace(base, key_id=agent_id) if agent_id else base


def _list_json(found: list[Card], total: int, query: OrgCardsQuery) -> dict[str, Any]:
    items = [{**card_summary_json(card, False, None), "cardTypeId": card.card_type_id,
              "fieldValues": custom_fields.values_json(card), "createdAt": iso(card.created_at)}
             for card in found]
    return {"cards": items, "total": total, "page": query.page, "pageSize": query.pageSize}


def _filter(query: OrgCardsQuery) -> card_scope.CardFilter:
    return card_scope.CardFilter(query.projectId, query.columnId, query.assignedAgentId, query.page,
                                 query.pageSize)


@bp.get("/cards/<id>/mcp")
def get_card(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(flat_card_json(card_scope.find_key_card(db(), key_grant(), path.id)))


@bp.patch("/cards/<id>/mcp")
def update_card(path: IdPath, body: AgentCardUpdate):  # type: ignore[no-untyped-def]
    card = card_scope.find_key_card(db(), key_grant(), path.id, "edit")
    fields = body.changes(nullable=NULLABLE_CARD_FIELDS, exclude=("agentId",))
    cards.apply_changes(db(), _agent_actor(body.agentId), card, fields)
    return ok(flat_card_json(card))


@bp.patch("/cards/<id>/mcp/status")
def move_card(path: IdPath, body: AgentStatusBody):  # type: ignore[no-untyped-def]
    """As the person's move, but a transition that requires approval is refused (403)."""
    card = card_scope.find_key_card(db(), key_grant(), path.id, "edit")
    cards.move_card(db(), _agent_actor(body.agentId), card, body.toColumnId)
    return ok(flat_card_json(card))


@bp.get("/organizations/<orgId>/cards/mcp")
def list_key_org_cards(path: OrgPath, query: OrgCardsQuery):  # type: ignore[no-untyped-def]
    found, total = card_scope.list_key_org_cards(db(), key_grant(), path.orgId, _filter(query))
    return ok(_list_json(found, total, query))


@bp.get("/organizations/<orgId>/cards")
def list_org_cards(path: OrgPath, query: OrgCardsQuery):  # type: ignore[no-untyped-def]
    """The organization's cards the person may see, filtered and paged."""
    found, total = card_scope.list_org_cards(db(), actor(), path.orgId, _filter(query))
    return ok(_list_json(found, total, query))
