"""Settings: the instance's (notifications, context relay, keyboard shortcuts), each person's own
(user settings) and per-card panel states."""

from __future__ import annotations

from typing import Any

import pytest

from models import AgentSession, utcnow
from tests.conftest import Api, Users


def error(data: Any) -> dict[str, Any]:
    return data["error"]


@pytest.fixture
def people(api: Api, users: Users) -> tuple[Api, Api, Api]:
    """Auth on: (super admin, admin, plain user)."""
    root_token = users.setup_admin()
    users.enable_auth(root_token)
    admin_token, _ = users.register("admin@example.com", role="admin")
    user_token, _ = users.register("dev@example.com")
    return api.as_user(root_token), api.as_user(admin_token), api.as_user(user_token)


# User settings ---------------------------------------------------------------------------------


def test_user_settings_start_from_the_defaults(api: Api) -> None:
    assert api.get("/api/user/settings") == {"theme": "dark", "highContrast": False, "sidebarExpanded": True,
                                             "agentReasoning": True, "statusLine": True, "hiddenToolTypes": [],
                                             "lastOpenedProjectId": None}


def test_put_changes_the_given_preferences_and_keeps_the_rest(api: Api) -> None:
    changed = api.put("/api/user/settings", {"theme": "light", "hiddenToolTypes": ["read_file"]})
    assert (changed["theme"], changed["hiddenToolTypes"], changed["statusLine"]) == ("light", ["read_file"], True)
    api.put("/api/user/settings", {"highContrast": True})
    assert api.get("/api/user/settings")["theme"] == "light"
    assert api.get("/api/user/settings")["highContrast"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"theme": "purple"}, "theme"),
    ({"sidebarExpanded": "maybe"}, "sidebarExpanded"),
    ({"hiddenToolTypes": "read_file"}, "hiddenToolTypes"),
    ({"hiddenToolTypes": ["x"] * 101}, "hiddenToolTypes"),
])
def test_bad_preferences_are_400_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    assert field in error(api.put("/api/user/settings", body, expect=400))["message"]
    assert api.get("/api/user/settings")["theme"] == "dark"


def test_each_person_has_their_own_settings(people: tuple[Api, Api, Api]) -> None:
    root, _, dev = people
    dev.put("/api/user/settings", {"theme": "light"})
    assert root.get("/api/user/settings")["theme"] == "dark"
    assert dev.get("/api/user/settings")["theme"] == "light"
    root.as_user(None).get("/api/user/settings", expect=401)


def test_last_opened_project_is_remembered(api: Api, project: dict[str, Any]) -> None:
    api.patch(f"/api/projects/{project['id']}/last-opened", expect=204)
    assert api.get("/api/user/settings")["lastOpenedProjectId"] == project["id"]
    assert api.get(f"/api/projects/{project['id']}")["lastOpenedAt"].endswith("Z")
    api.patch("/api/projects/proj_nope/last-opened", expect=404)


# Instance settings -----------------------------------------------------------------------------


def test_notifications_defaults_and_partial_updates(api: Api) -> None:
    defaults = api.get("/api/settings/notifications")
    assert defaults["enabled"] is True and defaults["events"]["sessionFailed"] is True
    changed = api.put("/api/settings/notifications", {"sound": True, "events": {"sessionCompleted": False}})
    assert changed["sound"] is True and changed["enabled"] is True
    assert changed["events"]["sessionCompleted"] is False and changed["events"]["sessionFailed"] is True
    assert api.get("/api/settings/notifications") == changed


@pytest.mark.parametrize(("body", "field"), [({"events": {"everything": True}}, "events"),
                                             ({"enabled": "yes please"}, "enabled")])
def test_bad_notification_settings_are_400(api: Api, body: dict[str, Any], field: str) -> None:
    assert field in error(api.put("/api/settings/notifications", body, expect=400))["message"]


def test_context_relay_mode(api: Api) -> None:
    assert api.get("/api/settings/context-relay") == {"mode": "summary"}
    assert api.put("/api/settings/context-relay", {"mode": "none"}) == {"mode": "none"}
    assert api.get("/api/settings/context-relay") == {"mode": "none"}
    assert "mode" in error(api.put("/api/settings/context-relay", {"mode": "everything"}, expect=400))["message"]
    assert "mode" in error(api.put("/api/settings/context-relay", {}, expect=400))["message"]


def test_context_relay_none_keeps_earlier_stages_out_of_the_prompt(
    api: Api, app: Any, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Fix login"}, expect=201)
    with app.extensions["switchyard"].transaction() as session:
        session.add(AgentSession(project_id=project["id"], card_id=card["id"], column_id=columns["Plan"]["id"],
                                 status="completed", summary="Planned the login fix", ended_at=utcnow()))
    preview = f"/api/projects/{project['id']}/cards/{card['id']}/prompt-preview?columnId={columns['Implement']['id']}"
    assert "Planned the login fix" in api.get(preview)["user"]

    api.put("/api/settings/context-relay", {"mode": "none"})

    assert "Planned the login fix" not in api.get(preview)["user"]


def test_keyboard_shortcuts_are_replaced_whole(api: Api) -> None:
    assert api.get("/api/settings/keyboard-shortcuts") == {}
    assert api.put("/api/settings/keyboard-shortcuts", {"newCard": "n", "search": "mod+k"}) == {
        "newCard": "n", "search": "mod+k"}
    assert api.put("/api/settings/keyboard-shortcuts", {"search": "/"}) == {"search": "/"}
    assert api.get("/api/settings/keyboard-shortcuts") == {"search": "/"}


@pytest.mark.parametrize(("body", "named"), [
    ({"newCard": "n", "nextCard": "N"}, "nextCard"),  # one key combination for two actions
    ({"new card": "n"}, "new card"),
    ({"newCard": ""}, "newCard"),
    ({"newCard": 5}, "newCard"),
])
def test_bad_keyboard_shortcuts_are_400(api: Api, body: dict[str, Any], named: str) -> None:
    assert named in error(api.put("/api/settings/keyboard-shortcuts", body, expect=400))["message"]
    assert api.get("/api/settings/keyboard-shortcuts") == {}


@pytest.mark.parametrize(("path", "body"), [
    ("/api/settings/notifications", {"sound": True}),
    ("/api/settings/context-relay", {"mode": "none"}),
    ("/api/settings/keyboard-shortcuts", {"newCard": "n"}),
])
def test_everyone_reads_instance_settings_and_admins_change_them(people: tuple[Api, Api, Api], path: str,
                                                                 body: dict[str, Any]) -> None:
    root, admin, dev = people
    before = dev.get(path)
    assert "admin" in error(dev.put(path, body, expect=403))["message"]
    assert dev.get(path) == before
    admin.put(path, body)
    root.put(path, body)
    assert dev.get(path) != before
    root.as_user(None).get(path, expect=401)


# Panel states ----------------------------------------------------------------------------------


@pytest.fixture
def card(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.post(f"/api/projects/{project['id']}/cards", {"title": "A card"}, expect=201)


def test_panel_states_are_stored_per_card(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    url = f"/api/projects/{project['id']}/panel-states"
    assert api.get(url) == {}
    state = {"tab": "diff", "width": 480, "collapsed": ["todos"]}
    assert api.put(url, {card["id"]: state}) == {card["id"]: state}
    other = api.post(f"/api/projects/{project['id']}/cards", {"title": "Another"}, expect=201)
    api.put(url, {other["id"]: {"tab": "chat"}})
    assert api.get(url) == {card["id"]: state, other["id"]: {"tab": "chat"}}

    api.put(url, {other["id"]: None})  # null removes one card's state
    assert api.get(url) == {card["id"]: state}
    api.delete(f"{url}/{card['id']}")
    assert api.get(url) == {}
    api.delete(f"{url}/{card['id']}")  # nothing stored: still done


def test_panel_states_of_deleted_cards_drop_out(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    url = f"/api/projects/{project['id']}/panel-states"
    api.put(url, {card["id"]: {"tab": "diff"}})
    api.delete(f"/api/projects/{project['id']}/cards/{card['id']}")
    assert api.get(url) == {}


def test_panel_state_errors(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    url = f"/api/projects/{project['id']}/panel-states"
    assert "card_nope" in error(api.put(url, {"card_nope": {"tab": "x"}}, expect=400))["message"]
    assert card["id"] in error(api.put(url, {card["id"]: "wide"}, expect=400))["message"]
    assert card["id"] in error(api.put(url, {card["id"]: {"blob": "x" * 20_000}}, expect=400))["message"]
    api.delete(f"{url}/card_nope", expect=404)
    api.get("/api/projects/proj_nope/panel-states", expect=404)
    assert api.get(url) == {}


def test_panel_states_belong_to_each_person(people: tuple[Api, Api, Api], repo: Any) -> None:
    root, _, dev = people
    project = root.post("/api/projects", {"name": "P", "path": str(repo)}, expect=201)
    card = root.post(f"/api/projects/{project['id']}/cards", {"title": "C"}, expect=201)
    root.post(f"/api/projects/{project['id']}/members", {"email": "dev@example.com"}, expect=201)
    url = f"/api/projects/{project['id']}/panel-states"

    root.put(url, {card["id"]: {"tab": "diff"}})
    dev.put(url, {card["id"]: {"tab": "chat"}})  # a viewer keeps their own layout

    assert root.get(url) == {card["id"]: {"tab": "diff"}}
    assert dev.get(url) == {card["id"]: {"tab": "chat"}}
