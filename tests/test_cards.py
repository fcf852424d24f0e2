"""Cards scoped to their project: create, list, read, change, delete, and the card actions
(complete, activate, auto mode, credential, pipeline, diff), with their history and events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AgentSession, Card, CardHistory, Event
from tests.conftest import Api

SHORT_ID_ALPHABET = set("0123456789abcdefghjkmnpqrstvwxyz")
ZERO_USAGE = {"inputTokens": 0, "outputTokens": 0, "cacheReadTokens": 0, "cacheWriteTokens": 0,
              "costUsd": 0.0, "costKnown": True}
PIPELINE = ["Backlog", "Plan", "Implement", "Review", "Done"]


def cards_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/cards"


def card_url(project: dict[str, Any], card: dict[str, Any] | str) -> str:
    card_id = card if isinstance(card, str) else card["id"]
    return f"{cards_url(project)}/{card_id}"


def new_card(api: Api, project: dict[str, Any], title: str = "Fix login", **fields: Any) -> dict[str, Any]:
    return api.post(cards_url(project), {"title": title, **fields}, expect=201)


def error(client: FlaskClient, method: str, path: str, json: Any = None, status: int = 400) -> dict[str, Any]:
    """The `error` object of a request expected to fail with `status`."""
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def history(app: Any, card_id: str) -> list[CardHistory]:
    with app.extensions["switchyard"].transaction() as session:
        rows = list(session.scalars(
            select(CardHistory).where(CardHistory.card_id == card_id).order_by(CardHistory.id)))
        session.expunge_all()
        return rows


def event_types(app: Any, card_id: str) -> list[str]:
    with app.extensions["switchyard"].transaction() as session:
        return list(session.scalars(select(Event.type).where(Event.card_id == card_id).order_by(Event.id)))


def set_row(app: Any, card_id: str, **values: Any) -> None:
    """Change a card's row directly, for states no route sets (archived, deferred)."""
    with app.extensions["switchyard"].transaction() as session:
        card = session.get(Card, card_id)
        for name, value in values.items():
            setattr(card, name, value)


def add_board(api: Api, project: dict[str, Any], name: str = "Second") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A second board (Kanban Default: Backlog, In Progress, Done) and its columns in order."""
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": name}, expect=201)
    board_columns = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")
    return board, sorted(board_columns, key=lambda c: c["position"])


@pytest.fixture
def other_project(api: Api, make_repo: Callable[..., Path]) -> dict[str, Any]:
    return api.post("/api/projects", {"name": "Other", "path": str(make_repo("other")),
                                      "templateId": "tpl_agent_pipeline"}, expect=201)


@pytest.fixture
def card(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return new_card(api, project, prompt="Users cannot log in with SSO")


# Creating --------------------------------------------------------------------------------------


def test_create_card_with_defaults(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = new_card(api, project, "Fix login")

    assert card["id"].startswith("card_")
    assert len(card["shortId"]) == 8 and set(card["shortId"]) <= SHORT_ID_ALPHABET
    assert card["projectId"] == project["id"]
    assert card["columnId"] == columns["Backlog"]["id"]
    assert card["boardId"] == columns["Backlog"]["boardId"]
    defaults = {
        "title": "Fix login", "prompt": "", "labels": [], "position": 0, "priority": "none",
        "dueDate": None, "autoMode": False, "archived": False, "deferred": False,
        "credentialId": None, "pipeline": None, "completedAt": None, "hasActiveAgent": False,
        "usage": ZERO_USAGE,
    }
    assert {key: card[key] for key in defaults} == defaults
    assert card["createdAt"].endswith("Z") and card["updatedAt"].endswith("Z")


def test_create_card_with_every_field(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = new_card(api, project, "Add dark mode", prompt="Follow the design tokens",
                    columnId=columns["Implement"]["id"], labels=["ui", "theme"], priority="high",
                    dueDate="2030-01-02T03:04:05+02:00")

    assert card["columnId"] == columns["Implement"]["id"]
    assert card["prompt"] == "Follow the design tokens"
    assert card["labels"] == ["ui", "theme"]
    assert card["priority"] == "high"
    assert card["dueDate"] == "2030-01-02T01:04:05.000Z"
    assert api.get(card_url(project, card)) == card


@pytest.mark.parametrize("priority", ["none", "low", "medium", "high", "urgent"])
def test_priority_names_round_trip(api: Api, project: dict[str, Any], priority: str) -> None:
    card = new_card(api, project, priority=priority)
    assert card["priority"] == priority
    assert api.get(card_url(project, card))["priority"] == priority


def test_short_ids_are_unique_within_a_project(api: Api, project: dict[str, Any]) -> None:
    short_ids = [new_card(api, project, f"Card {i}")["shortId"] for i in range(25)]
    assert len(set(short_ids)) == 25


def test_new_cards_go_to_the_end_of_the_column_unless_a_position_is_given(
    api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    first, second = new_card(api, project, "first"), new_card(api, project, "second")
    assert (first["position"], second["position"]) == (0, 1)

    top = new_card(api, project, "top", position=0)
    last = new_card(api, project, "last", position=99)

    assert (top["position"], last["position"]) == (0, 3)
    listed = api.get(f"{cards_url(project)}?columnId={columns['Backlog']['id']}")
    assert [(c["title"], c["position"]) for c in listed] == [("top", 0), ("first", 1), ("second", 2), ("last", 3)]


def test_board_id_selects_that_boards_first_column(api: Api, project: dict[str, Any]) -> None:
    board, board_columns = add_board(api, project)

    card = new_card(api, project, boardId=board["id"])

    assert card["boardId"] == board["id"]
    assert card["columnId"] == board_columns[0]["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"prompt": "no title"}, "title"),
    ({"title": "x" * 501}, "title"),
    ({"title": "ok", "priority": "critical"}, "priority"),
    ({"title": "ok", "priority": 3}, "priority"),
    ({"title": "ok", "labels": "bug"}, "labels"),
    ({"title": "ok", "position": -1}, "position"),
    ({"title": "ok", "dueDate": "2030-01-02T03:04:05"}, "dueDate"),
    ({"title": "ok", "dueDate": "next tuesday"}, "dueDate"),
    ({"title": "ok", "dueDate": "9999-12-31T23:00:00-05:00"}, "dueDate"),
    ({"title": "ok", "dueDate": "0001-01-01T00:30:00+01:00"}, "dueDate"),
])
def test_create_rejects_bad_input(
    client: FlaskClient, api: Api, project: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    err = error(client, "POST", cards_url(project), body, 400)

    assert err["code"] == "validation_error"
    assert field in err["message"]
    assert api.get(cards_url(project)) == []


def test_create_in_a_column_of_another_project_is_not_found(
    client: FlaskClient, api: Api, project: dict[str, Any], other_project: dict[str, Any]
) -> None:
    foreign = api.get(f"/api/projects/{other_project['id']}/columns")[0]

    err = error(client, "POST", cards_url(project), {"title": "x", "columnId": foreign["id"]}, 404)

    assert err["code"] == "not_found"
    assert foreign["id"] in err["message"]
    assert api.get(cards_url(project)) == []
    assert api.get(cards_url(other_project)) == []


@pytest.mark.parametrize("which", ["unknown", "other project's"])
def test_create_on_a_board_the_project_does_not_have_is_not_found(
    client: FlaskClient, api: Api, project: dict[str, Any], other_project: dict[str, Any], which: str
) -> None:
    board_id = ("board_unknown" if which == "unknown"
                else api.get(f"/api/projects/{other_project['id']}/boards")[0]["id"])

    err = error(client, "POST", cards_url(project), {"title": "x", "boardId": board_id}, 404)

    assert err["code"] == "not_found"
    assert board_id in err["message"]


def test_create_with_a_column_not_on_the_given_board_is_not_found(
    client: FlaskClient, api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    board, _ = add_board(api, project)
    body = {"title": "x", "boardId": board["id"], "columnId": columns["Plan"]["id"]}

    err = error(client, "POST", cards_url(project), body, 404)

    assert err["code"] == "not_found"


def test_create_in_an_unknown_project_is_not_found(client: FlaskClient) -> None:
    err = error(client, "POST", "/api/projects/proj_missing/cards", {"title": "x"}, 404)
    assert err["code"] == "not_found"
    assert "proj_missing" in err["message"]


# Listing and reading ---------------------------------------------------------------------------


def test_list_shows_every_card_with_agent_state_and_usage(
    api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    a = new_card(api, project, "a")
    b = new_card(api, project, "b", columnId=columns["Done"]["id"])
    c = new_card(api, project, "c")
    d = new_card(api, project, "d", columnId=columns["Review"]["id"])  # an active column queues an agent

    listed = api.get(cards_url(project))

    assert sorted(x["id"] for x in listed) == sorted(x["id"] for x in (a, b, c, d))
    assert {x["title"]: (x["columnId"], x["position"], x["hasActiveAgent"]) for x in listed} == {
        "a": (columns["Backlog"]["id"], 0, False), "b": (columns["Done"]["id"], 0, False),
        "c": (columns["Backlog"]["id"], 1, False), "d": (columns["Review"]["id"], 0, True),
    }
    assert all(x["usage"] == ZERO_USAGE for x in listed)
    by_id = {x["id"]: x for x in listed}
    assert by_id[a["id"]]["shortId"] == a["shortId"]
    assert by_id[a["id"]]["priority"] == "none"


def test_list_of_a_project_without_cards_is_empty(api: Api, project: dict[str, Any]) -> None:
    assert api.get(cards_url(project)) == []


def test_list_filters_by_board_and_column(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    board, board_columns = add_board(api, project)
    in_backlog = new_card(api, project, "backlog")
    in_plan = new_card(api, project, "plan", columnId=columns["Plan"]["id"])
    on_second = new_card(api, project, "second board", boardId=board["id"])

    def ids(query: str) -> set[str]:
        return {x["id"] for x in api.get(f"{cards_url(project)}?{query}")}

    assert ids(f"boardId={columns['Backlog']['boardId']}") == {in_backlog["id"], in_plan["id"]}
    assert ids(f"boardId={board['id']}") == {on_second["id"]}
    assert ids(f"columnId={columns['Plan']['id']}") == {in_plan["id"]}
    assert ids(f"columnId={board_columns[1]['id']}") == set()


def test_archived_cards_are_listed_only_on_request(app: Any, api: Api, project: dict[str, Any]) -> None:
    kept = new_card(api, project, "kept")
    archived = new_card(api, project, "archived")
    set_row(app, archived["id"], archived=True)

    assert [x["id"] for x in api.get(cards_url(project))] == [kept["id"]]
    everything = api.get(f"{cards_url(project)}?includeArchived=true")
    assert {x["id"]: x["archived"] for x in everything} == {kept["id"]: False, archived["id"]: True}


def test_get_card_returns_the_whole_card(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    fetched = api.get(card_url(project, card))

    assert fetched == card
    assert fetched["prompt"] == "Users cannot log in with SSO"


def test_unknown_card_is_not_found(client: FlaskClient, project: dict[str, Any]) -> None:
    err = error(client, "GET", card_url(project, "card_missing"), status=404)
    assert err["code"] == "not_found"
    assert "card_missing" in err["message"]


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("GET", "", None),
    ("PATCH", "", {"title": "stolen"}),
    ("DELETE", "", None),
    ("PATCH", "/move", {"columnId": "col_x"}),
    ("POST", "/complete", None),
    ("GET", "/pipeline", None),
])
def test_a_card_is_not_found_under_another_projects_path(
    client: FlaskClient, api: Api, project: dict[str, Any], other_project: dict[str, Any],
    card: dict[str, Any], method: str, suffix: str, body: Any,
) -> None:
    err = error(client, method, card_url(other_project, card) + suffix, body, 404)

    assert err["code"] == "not_found"
    assert card["id"] in err["message"]
    assert api.get(card_url(project, card)) == card


# Changing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "shown"), [
    ({"title": "Fix SSO login"}, {"title": "Fix SSO login"}),
    ({"prompt": "Only Okta is affected"}, {"prompt": "Only Okta is affected"}),
    ({"prompt": ""}, {"prompt": ""}),
    ({"labels": ["bug", "auth"]}, {"labels": ["bug", "auth"]}),
    ({"labels": []}, {"labels": []}),
    ({"priority": "urgent"}, {"priority": "urgent"}),
    ({"dueDate": "2031-06-01T12:00:00Z"}, {"dueDate": "2031-06-01T12:00:00.000Z"}),
    ({"dueDate": "2031-06-01T12:00:00.250-05:00"}, {"dueDate": "2031-06-01T17:00:00.250Z"}),
    ({"dueDate": "9999-12-31T23:59:59+00:00"}, {"dueDate": "9999-12-31T23:59:59.000Z"}),
])
def test_patch_changes_only_the_given_field(
    api: Api, project: dict[str, Any], card: dict[str, Any], change: dict[str, Any], shown: dict[str, Any]
) -> None:
    updated = api.patch(card_url(project, card), change)

    expected = card | shown
    assert updated | {"updatedAt": None} == expected | {"updatedAt": None}
    assert api.get(card_url(project, card)) == updated


def test_patch_with_no_fields_changes_nothing(
    app: Any, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    assert api.patch(card_url(project, card), {}) == card
    assert [h.action for h in history(app, card["id"])] == ["created"]


@pytest.mark.parametrize(("field", "cleared"), [
    ("prompt", ""), ("labels", []), ("dueDate", None), ("priority", "none"),
])
def test_null_clears_a_field(api: Api, project: dict[str, Any], field: str, cleared: Any) -> None:
    card = new_card(api, project, prompt="Steps to reproduce", labels=["bug"], priority="high",
                    dueDate="2030-01-01T00:00:00Z")

    assert api.patch(card_url(project, card), {field: None})[field] == cleared
    assert api.get(card_url(project, card))[field] == cleared
    assert api.get(cards_url(project))[0].get(field, cleared) == cleared  # the list leaves out the prompt


def test_null_title_leaves_the_title_alone(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    assert api.patch(card_url(project, card), {"title": None})["title"] == card["title"]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": ""}, "title"),
    ({"title": "  "}, "title"),
    ({"priority": "p1"}, "priority"),
    ({"labels": [""]}, "labels"),
    ({"dueDate": "2031-06-01T12:00:00"}, "dueDate"),
    ({"dueDate": "2031-13-01T12:00:00Z"}, "dueDate"),
    ({"dueDate": "9999-12-31T23:00:00-05:00"}, "dueDate"),
])
def test_patch_rejects_bad_input_and_keeps_the_card(
    client: FlaskClient, api: Api, project: dict[str, Any], card: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    err = error(client, "PATCH", card_url(project, card), body, 400)

    assert err["code"] == "validation_error"
    assert field in err["message"]
    assert api.get(card_url(project, card)) == card


def test_patch_an_unknown_card_is_not_found(client: FlaskClient, project: dict[str, Any]) -> None:
    err = error(client, "PATCH", card_url(project, "card_missing"), {"title": "x"}, 404)
    assert err["code"] == "not_found"


# Deleting --------------------------------------------------------------------------------------


def test_delete_removes_the_card_and_closes_the_gap(
    client: FlaskClient, api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    made = [new_card(api, project, title) for title in "abcd"]
    other_column = new_card(api, project, "elsewhere", columnId=columns["Plan"]["id"])

    assert api.delete(card_url(project, made[1])) is None

    assert error(client, "GET", card_url(project, made[1]), status=404)["code"] == "not_found"
    backlog = api.get(f"{cards_url(project)}?columnId={columns['Backlog']['id']}")
    assert [(c["title"], c["position"]) for c in backlog] == [("a", 0), ("c", 1), ("d", 2)]
    assert api.get(card_url(project, other_column))["position"] == 0


def test_delete_a_card_with_a_running_agent_needs_force(
    app: Any, client: FlaskClient, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    with app.extensions["switchyard"].transaction() as session:
        session.add(AgentSession(project_id=project["id"], card_id=card["id"], column_id=card["columnId"],
                                 status="running"))
    assert api.get(card_url(project, card))["hasActiveAgent"] is True

    err = error(client, "DELETE", card_url(project, card), status=409)

    assert err["code"] == "agent_running"
    assert api.get(card_url(project, card))["id"] == card["id"]
    api.delete(card_url(project, card) + "?force=true")
    assert error(client, "GET", card_url(project, card), status=404)["code"] == "not_found"


def test_delete_an_unknown_card_is_not_found(client: FlaskClient, project: dict[str, Any]) -> None:
    err = error(client, "DELETE", card_url(project, "card_missing"), status=404)
    assert err["code"] == "not_found"


# Complete, activate, auto mode -----------------------------------------------------------------


def test_complete_moves_the_card_to_the_done_column(
    api: Api, project: dict[str, Any], columns: dict[str, Any], card: dict[str, Any]
) -> None:
    assert api.post(card_url(project, card) + "/complete", expect=204) is None

    done = api.get(card_url(project, card))
    assert done["columnId"] == columns["Done"]["id"]
    assert done["position"] == 0
    assert done["completedAt"] is not None and done["completedAt"].endswith("Z")


def test_complete_a_card_already_done_is_harmless(
    api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    card = new_card(api, project, columnId=columns["Done"]["id"])

    api.post(card_url(project, card) + "/complete", expect=204)

    assert api.get(card_url(project, card))["columnId"] == columns["Done"]["id"]


def test_complete_on_a_board_without_a_done_column_is_a_conflict(
    client: FlaskClient, api: Api, project: dict[str, Any]
) -> None:
    board, board_columns = add_board(api, project)
    done = next(c for c in board_columns if c["columnType"] == "done")
    api.patch(f"/api/projects/{project['id']}/columns/{done['id']}", {"columnType": "backlog"})
    card = new_card(api, project, boardId=board["id"])

    err = error(client, "POST", card_url(project, card) + "/complete", status=409)

    assert err["code"] == "no_done_column"
    assert api.get(card_url(project, card))["columnId"] == board_columns[0]["id"]


def test_activate_a_deferred_card(app: Any, api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    set_row(app, card["id"], deferred=True)
    assert api.get(card_url(project, card))["deferred"] is True

    assert api.post(card_url(project, card) + "/activate", expect=204) is None

    assert api.get(card_url(project, card))["deferred"] is False


def test_activate_a_card_that_is_not_deferred_changes_nothing(
    api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    api.post(card_url(project, card) + "/activate", expect=204)
    assert api.get(card_url(project, card)) == card


def test_activating_a_deferred_card_in_an_active_column_queues_its_agent(
    app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any], card: dict[str, Any]
) -> None:
    set_row(app, card["id"], deferred=True)
    api.patch(card_url(project, card) + "/move", {"columnId": columns["Plan"]["id"]})
    assert api.get(card_url(project, card))["hasActiveAgent"] is False

    api.post(card_url(project, card) + "/activate", expect=204)

    assert api.get(card_url(project, card))["hasActiveAgent"] is True


def test_auto_mode_toggles(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    url = card_url(project, card) + "/auto-mode"

    assert api.patch(url, {"enabled": True})["autoMode"] is True
    assert api.get(card_url(project, card))["autoMode"] is True
    assert api.patch(url, {"enabled": False})["autoMode"] is False
    assert api.get(card_url(project, card))["autoMode"] is False


@pytest.mark.parametrize("body", [{}, {"enabled": None}, {"enabled": "maybe"}])
def test_auto_mode_needs_enabled(
    client: FlaskClient, api: Api, project: dict[str, Any], card: dict[str, Any], body: dict[str, Any]
) -> None:
    err = error(client, "PATCH", card_url(project, card) + "/auto-mode", body, 400)

    assert err["code"] == "validation_error"
    assert "enabled" in err["message"]
    assert api.get(card_url(project, card))["autoMode"] is False


# Credential ------------------------------------------------------------------------------------


def test_card_credential_is_set_and_cleared(api: Api, project: dict[str, Any], card: dict[str, Any]) -> None:
    credential = api.post("/api/credentials", {"name": "Team key", "provider": "anthropic",
                                               "apiKey": "sk-ant-test-0123456789"}, expect=201)
    url = card_url(project, card) + "/credential"

    assert api.put(url, {"credentialId": credential["id"]})["credentialId"] == credential["id"]
    assert api.get(card_url(project, card))["credentialId"] == credential["id"]
    assert api.put(url, {"credentialId": None})["credentialId"] is None
    assert api.get(card_url(project, card))["credentialId"] is None


def test_unknown_card_credential_is_not_found(
    client: FlaskClient, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    err = error(client, "PUT", card_url(project, card) + "/credential", {"credentialId": "cred_missing"}, 404)

    assert err["code"] == "not_found"
    assert "cred_missing" in err["message"]
    assert api.get(card_url(project, card))["credentialId"] is None


def test_card_credential_needs_the_field(client: FlaskClient, project: dict[str, Any], card: dict[str, Any]) -> None:
    err = error(client, "PUT", card_url(project, card) + "/credential", {}, 400)
    assert err["code"] == "validation_error"
    assert "credentialId" in err["message"]


# Pipeline --------------------------------------------------------------------------------------


def test_default_pipeline_is_the_boards_columns(
    api: Api, project: dict[str, Any], columns: dict[str, Any], card: dict[str, Any]
) -> None:
    pipeline = api.get(card_url(project, card) + "/pipeline")

    assert pipeline["custom"] is False
    assert pipeline["steps"] == [
        {"columnId": columns[name]["id"], "columnName": name, "prompt": columns[name]["prompt"]}
        for name in PIPELINE
    ]
    assert "submit_plan" in pipeline["steps"][1]["prompt"]


def test_custom_pipeline_order_and_prompt_override(
    api: Api, project: dict[str, Any], columns: dict[str, Any], card: dict[str, Any]
) -> None:
    steps = [
        {"columnId": columns["Implement"]["id"], "prompt": "Just fix the redirect"},
        {"columnId": columns["Review"]["id"]},
        {"columnId": columns["Done"]["id"]},
    ]

    put = api.put(card_url(project, card) + "/pipeline", {"steps": steps})

    expected = [
        {"columnId": columns["Implement"]["id"], "columnName": "Implement", "prompt": "Just fix the redirect"},
        {"columnId": columns["Review"]["id"], "columnName": "Review", "prompt": columns["Review"]["prompt"]},
        {"columnId": columns["Done"]["id"], "columnName": "Done", "prompt": columns["Done"]["prompt"]},
    ]
    assert put == {"steps": expected, "custom": True}
    assert api.get(card_url(project, card) + "/pipeline") == put
    assert api.get(card_url(project, card))["pipeline"] == steps


def test_empty_pipeline_returns_to_the_default(
    api: Api, project: dict[str, Any], columns: dict[str, Any], card: dict[str, Any]
) -> None:
    url = card_url(project, card) + "/pipeline"
    default = api.get(url)
    api.put(url, {"steps": [{"columnId": columns["Done"]["id"]}]})

    assert api.put(url, {"steps": []}) == default
    assert api.get(url) == default
    assert api.get(card_url(project, card))["pipeline"] is None


@pytest.mark.parametrize("which", ["another board", "another project", "unknown"])
def test_pipeline_step_outside_the_cards_board_is_rejected(
    client: FlaskClient, api: Api, project: dict[str, Any], other_project: dict[str, Any],
    columns: dict[str, Any], card: dict[str, Any], which: str,
) -> None:
    foreign = {
        "another board": lambda: add_board(api, project)[1][0]["id"],
        "another project": lambda: api.get(f"/api/projects/{other_project['id']}/columns")[0]["id"],
        "unknown": lambda: "col_missing",
    }[which]()
    url = card_url(project, card) + "/pipeline"
    before = api.get(url)
    body = {"steps": [{"columnId": columns["Plan"]["id"]}, {"columnId": foreign}]}

    err = error(client, "PUT", url, body, 400)

    assert err["code"] == "validation_error"
    assert "steps.1.columnId" in err["message"] and foreign in err["message"]
    assert api.get(url) == before


@pytest.mark.parametrize(("body", "field"), [({}, "steps"), ({"steps": [{}]}, "columnId")])
def test_pipeline_body_is_validated(
    client: FlaskClient, project: dict[str, Any], card: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    err = error(client, "PUT", card_url(project, card) + "/pipeline", body, 400)
    assert err["code"] == "validation_error"
    assert field in err["message"]


# Diff ------------------------------------------------------------------------------------------


def test_diff_of_a_card_no_agent_has_worked_on_is_empty(
    api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    diff = api.get(card_url(project, card) + "/diff")

    assert diff["diff"] == ""
    assert diff["stats"] == {"filesChanged": 0, "insertions": 0, "deletions": 0}


# History and events ----------------------------------------------------------------------------


def test_create_writes_history_and_an_event(app: Any, api: Api, project: dict[str, Any],
                                            columns: dict[str, Any]) -> None:
    card = new_card(api, project, "Fix login")

    [row] = history(app, card["id"])
    assert (row.actor_type, row.action, row.project_id) == ("user", "created", project["id"])
    assert row.changes["title"] == {"before": None, "after": "Fix login"}
    assert row.changes["columnId"] == {"before": None, "after": columns["Backlog"]["id"]}
    assert event_types(app, card["id"]) == ["card.created"]


def test_update_writes_history_with_before_and_after(
    app: Any, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    api.patch(card_url(project, card), {"title": "Fix SSO", "priority": "high", "labels": ["auth"]})

    row = history(app, card["id"])[-1]
    assert (row.actor_type, row.action) == ("user", "updated")
    assert set(row.changes) == {"title", "priority", "labels"}
    assert row.changes["title"] == {"before": "Fix login", "after": "Fix SSO"}
    assert row.changes["labels"] == {"before": [], "after": ["auth"]}
    assert row.changes["priority"]["before"] != row.changes["priority"]["after"]
    assert event_types(app, card["id"]) == ["card.created", "card.updated"]


def test_an_update_that_changes_nothing_writes_nothing(
    app: Any, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    api.patch(card_url(project, card), {"title": card["title"], "labels": []})

    assert [h.action for h in history(app, card["id"])] == ["created"]
    assert event_types(app, card["id"]) == ["card.created"]


def test_delete_writes_history_and_an_event(
    app: Any, api: Api, project: dict[str, Any], card: dict[str, Any]
) -> None:
    api.delete(card_url(project, card))

    row = history(app, card["id"])[-1]
    assert (row.actor_type, row.action) == ("user", "deleted")
    assert row.changes["title"] == {"before": "Fix login", "after": None}
    assert event_types(app, card["id"]) == ["card.created", "card.deleted"]


@pytest.mark.parametrize(("url", "body"), [
    ("/auto-mode", {"enabled": True}),
    ("/pipeline", {"steps": []}),
])
def test_card_actions_write_history_and_an_update_event(
    app: Any, api: Api, project: dict[str, Any], card: dict[str, Any], url: str, body: dict[str, Any]
) -> None:
    method = api.patch if url == "/auto-mode" else api.put
    method(card_url(project, card) + url, body)

    assert history(app, card["id"])[-1].action == "updated"
    assert event_types(app, card["id"]) == ["card.created", "card.updated"]


@pytest.mark.parametrize(("method", "suffix", "body", "status"), [
    ("PATCH", "", {"title": ""}, 400),
    ("PATCH", "", {"dueDate": "2031-06-01T12:00:00"}, 400),
    ("PATCH", "/move", {"columnId": "col_missing"}, 404),
    ("PUT", "/credential", {"credentialId": "cred_missing"}, 404),
    ("PUT", "/pipeline", {"steps": [{"columnId": "col_missing"}]}, 400),
])
def test_rejected_requests_write_no_history_and_no_event(
    app: Any, client: FlaskClient, project: dict[str, Any], card: dict[str, Any],
    method: str, suffix: str, body: dict[str, Any], status: int,
) -> None:
    error(client, method, card_url(project, card) + suffix, body, status)

    assert [h.action for h in history(app, card["id"])] == ["created"]
    assert event_types(app, card["id"]) == ["card.created"]


def test_rejected_create_writes_no_history_and_no_event(
    app: Any, client: FlaskClient, project: dict[str, Any]
) -> None:
    error(client, "POST", cards_url(project), {"title": "x", "priority": "critical"}, 400)
    error(client, "POST", cards_url(project), {"title": "x", "columnId": "col_missing"}, 404)

    with app.extensions["switchyard"].transaction() as session:
        assert session.scalars(select(CardHistory)).all() == []
        assert session.scalars(select(Event.type).where(Event.type.like("card.%"))).all() == []
