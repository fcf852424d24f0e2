"""Preferences: each person's own (user settings, panel states) and the instance's
(notifications, context relay, keyboard shortcuts), all rows of the `settings` table.

A person's rows live in scope "user:<id>" ("user:local" for the machine's developer with auth
off). The instance's rows live in the global scope: everyone reads them, and only admins change
them (DESIGN.md: "admin manages users, organizations, credentials and the other settings").
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Card, Setting, utcnow
from orchestrator.access import Actor, require_admin, require_project
from orchestrator.errors import Forbidden, InvalidInput, NotFound
from orchestrator.runtime_settings import get_setting, put_setting

USER_DEFAULTS: dict[str, Any] = {
    "theme": "dark",
    "highContrast": False,
    "sidebarExpanded": True,
    "agentReasoning": True,
    "statusLine": True,
    "hiddenToolTypes": [],
}
NOTIFICATION_EVENTS = ("sessionCompleted", "sessionFailed", "planSubmitted", "approvalWaiting", "commentAdded")
NOTIFICATION_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "sound": False,
    "desktop": True,
    "events": dict.fromkeys(NOTIFICATION_EVENTS, True),
}
# "summary": each stage is told what the card's earlier stages reported; "none": it is not.
CONTEXT_RELAY_MODES = ("summary", "none")
CONTEXT_RELAY_DEFAULTS: dict[str, Any] = {"mode": "summary"}
MAX_PANEL_STATE_BYTES = 16_384

USER_KEY = "preferences"
LAST_OPENED_KEY = "lastOpenedProjectId"
NOTIFICATIONS_KEY = "notifications"
CONTEXT_RELAY_KEY = "contextRelay"
SHORTCUTS_KEY = "keyboardShortcuts"


def reader_id(actor: Actor) -> str:
    """Who a person-scoped row belongs to: the user's id, or "local" with auth off."""
    if actor.local:
        return "local"
    if actor.kind != "user" or actor.user_id is None:
        raise Forbidden("preferences belong to a person: call this with a user's token")
    return actor.user_id


def person_scope(actor: Actor) -> str:
    return f"user:{reader_id(actor)}"


# A person's own settings -----------------------------------------------------------------------


def get_user_settings(session: Session, actor: Actor) -> dict[str, Any]:
    scope = person_scope(actor)
    stored = get_setting(session, USER_KEY, {}, scope)
    return {**USER_DEFAULTS, **stored, LAST_OPENED_KEY: get_setting(session, LAST_OPENED_KEY, None, scope)}


def update_user_settings(session: Session, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge the given preferences into the stored ones (PUT sends some or all of them)."""
    scope = person_scope(actor)
    stored = get_setting(session, USER_KEY, {}, scope)
    put_setting(session, USER_KEY, {**stored, **changes}, scope)
    return get_user_settings(session, actor)


def remember_last_opened(session: Session, actor: Actor, project_id: str) -> None:
    """The project a person opened last (restored when the UI starts), and when anyone did."""
    project = require_project(session, actor, project_id)
    project.last_opened_at = utcnow()
    if actor.local or actor.user_id is not None:
        put_setting(session, LAST_OPENED_KEY, project.id, person_scope(actor))


def forget_person(session: Session, user_id: str) -> None:
    """Remove every preference row of a deleted user."""
    session.execute(delete(Setting).where(Setting.scope == f"user:{user_id}"))


# Panel states: one JSON object per card, per person and project ---------------------------------


def _panel_key(project_id: str) -> str:
    return f"panels:{project_id}"


def get_panel_states(session: Session, actor: Actor, project_id: str) -> dict[str, Any]:
    """The person's panel states for the project's cards; states of deleted cards drop out."""
    require_project(session, actor, project_id)
    stored = get_setting(session, _panel_key(project_id), {}, person_scope(actor))
    if not stored:
        return {}
    alive = _existing_cards(session, project_id, set(stored))
    return {card_id: state for card_id, state in stored.items() if card_id in alive}


def put_panel_states(session: Session, actor: Actor, project_id: str, states: dict[str, Any]) -> dict[str, Any]:
    """Merge `{cardId: state}` into the stored states; a null state removes the card's entry."""
    require_project(session, actor, project_id)
    unknown = set(states) - _existing_cards(session, project_id, set(states))
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: no card with this id in project {project_id}")
    for card_id, state in states.items():
        if state is not None and len(orjson.dumps(state)) > MAX_PANEL_STATE_BYTES:
            raise InvalidInput(f"{card_id}: a panel state may hold at most {MAX_PANEL_STATE_BYTES} bytes of JSON")
    scope = person_scope(actor)
    merged = {**get_setting(session, _panel_key(project_id), {}, scope), **states}
    merged = {card_id: state for card_id, state in merged.items() if state is not None}
    put_setting(session, _panel_key(project_id), merged, scope)
    return get_panel_states(session, actor, project_id)


def delete_panel_state(session: Session, actor: Actor, project_id: str, card_id: str) -> None:
    require_project(session, actor, project_id)
    card = session.get(Card, card_id)
    if card is None or card.project_id != project_id:
        raise NotFound.of("card", card_id)
    scope = person_scope(actor)
    stored = get_setting(session, _panel_key(project_id), {}, scope)
    if card_id in stored:
        put_setting(session, _panel_key(project_id), {k: v for k, v in stored.items() if k != card_id}, scope)


def _existing_cards(session: Session, project_id: str, card_ids: set[str]) -> set[str]:
    if not card_ids:
        return set()
    return set(session.scalars(select(Card.id).where(Card.project_id == project_id, Card.id.in_(card_ids))))


# The instance's settings -----------------------------------------------------------------------


def get_notifications(session: Session) -> dict[str, Any]:
    stored = get_setting(session, NOTIFICATIONS_KEY, {})
    events = {**NOTIFICATION_DEFAULTS["events"], **stored.get("events", {})}
    return {**NOTIFICATION_DEFAULTS, **stored, "events": events}


def update_notifications(session: Session, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor, "changing notification settings")
    current = get_notifications(session)
    if "events" in changes:
        changes = {**changes, "events": {**current["events"], **changes["events"]}}
    put_setting(session, NOTIFICATIONS_KEY, {**current, **changes})
    return get_notifications(session)


def should_notify(session: Session, event: str) -> bool:
    """Whether a `notification` event of this kind is wanted (for whoever publishes them)."""
    settings = get_notifications(session)
    return bool(settings["enabled"] and settings["events"].get(event, True))


def get_context_relay(session: Session) -> dict[str, Any]:
    return {**CONTEXT_RELAY_DEFAULTS, **get_setting(session, CONTEXT_RELAY_KEY, {})}


def update_context_relay(session: Session, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    require_admin(actor, "changing the context relay mode")
    put_setting(session, CONTEXT_RELAY_KEY, {**get_context_relay(session), **changes})
    return get_context_relay(session)


def relays_summaries(session: Session) -> bool:
    """Whether a stage's prompt carries what the card's earlier stages reported."""
    return get_context_relay(session)["mode"] == "summary"


def get_keyboard_shortcuts(session: Session) -> dict[str, str]:
    return dict(get_setting(session, SHORTCUTS_KEY, {}))


def put_keyboard_shortcuts(session: Session, actor: Actor, shortcuts: dict[str, str]) -> dict[str, str]:
    """Replace the custom shortcuts (action -> key combination); two actions cannot share one."""
    require_admin(actor, "changing keyboard shortcuts")
    seen: dict[str, str] = {}
    for action, combo in shortcuts.items():
        normalised = combo.strip().lower()
        if normalised in seen:
            raise InvalidInput(f"{action}: {combo!r} is already the shortcut of {seen[normalised]}")
        seen[normalised] = action
    put_setting(session, SHORTCUTS_KEY, shortcuts)
    return get_keyboard_shortcuts(session)
