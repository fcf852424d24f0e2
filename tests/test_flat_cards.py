"""The flat card API for external integrations: /api/cards with the project in the body."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import CardHistory, Event
from tests.conftest import Api


def flat_card(api: Api, project: dict[str, Any], title: str = "Fix login", **fields: Any) -> dict[str, Any]:
    return api.post("/api/cards", {"projectId": project["id"], "title": title, **fields}, expect=201)


def error(client: FlaskClient, method: str, path: str, json: Any = None, status: int = 400) -> dict[str, Any]:
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_create_a_card(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = flat_card(api, project, "Fix login", prompt="SSO users are sent back to /login")

    assert card["id"].startswith("card_")
    assert card["title"] == "Fix login"
    assert card["prompt"] == "SSO users are sent back to /login"
    assert card["projectId"] == project["id"]
    assert card["columnId"] == columns["Backlog"]["id"]
    assert card["columnName"] == "Backlog"
    assert card["position"] == 0
    assert len(card["shortId"]) == 8
    assert card["hasActiveAgent"] is False


def test_flat_cards_join_the_project_board(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    first, second = flat_card(api, project, "first"), flat_card(api, project, "second")

    assert (first["position"], second["position"]) == (0, 1)
    listed = api.get(f"/api/projects/{project['id']}/cards")
    assert [(c["id"], c["columnId"], c["position"]) for c in listed] == [
        (first["id"], columns["Backlog"]["id"], 0), (second["id"], columns["Backlog"]["id"], 1),
    ]
    assert api.get(f"/api/projects/{project['id']}/cards/{first['id']}") | {"columnName": "Backlog"} == first


def test_create_in_a_given_column(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = flat_card(api, project, columnId=columns["Review"]["id"], priority="urgent")

    assert (card["columnId"], card["columnName"], card["priority"]) == (columns["Review"]["id"], "Review", "urgent")


def test_create_in_an_unknown_project_is_not_found(client: FlaskClient) -> None:
    err = error(client, "POST", "/api/cards", {"projectId": "proj_missing", "title": "x"}, 404)

    assert err["code"] == "not_found"
    assert "proj_missing" in err["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x"}, "projectId"),
    ({"projectId": "PROJECT"}, "title"),
    ({"projectId": "PROJECT", "title": ""}, "title"),
    ({"projectId": "PROJECT", "title": "x", "priority": "p1"}, "priority"),
])
def test_create_rejects_bad_input(
    client: FlaskClient, api: Api, project: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    if body.get("projectId") == "PROJECT":
        body = body | {"projectId": project["id"]}

    err = error(client, "POST", "/api/cards", body, 400)

    assert err["code"] == "validation_error"
    assert field in err["message"]
    assert api.get(f"/api/projects/{project['id']}/cards") == []


def test_create_writes_history_and_an_event(app: Any, api: Api, project: dict[str, Any]) -> None:
    card = flat_card(api, project)

    with app.extensions["switchyard"].transaction() as session:
        assert session.scalars(select(CardHistory.action).where(CardHistory.card_id == card["id"])).all() \
            == ["created"]
        assert session.scalars(select(Event.type).where(Event.card_id == card["id"])).all() == ["card.created"]


def test_get_a_card_with_its_column_name_and_sessions(api: Api, project: dict[str, Any]) -> None:
    card = flat_card(api, project, prompt="details")

    fetched = api.get(f"/api/cards/{card['id']}")

    assert fetched["id"] == card["id"]
    assert fetched["title"] == "Fix login"
    assert fetched["prompt"] == "details"
    assert fetched["columnName"] == "Backlog"
    assert fetched["sessions"] == []


def test_column_name_follows_the_card(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = flat_card(api, project)
    api.patch(f"/api/projects/{project['id']}/cards/{card['id']}/move", {"columnId": columns["Implement"]["id"]})

    assert api.get(f"/api/cards/{card['id']}")["columnName"] == "Implement"
    assert api.get(f"/api/cards/{card['id']}/status")["columnName"] == "Implement"


def test_status(api: Api, project: dict[str, Any]) -> None:
    card = flat_card(api, project)

    status = api.get(f"/api/cards/{card['id']}/status")

    assert {key: status[key] for key in ("id", "title", "columnName", "hasActiveAgent")} == {
        "id": card["id"], "title": "Fix login", "columnName": "Backlog", "hasActiveAgent": False,
    }


def test_a_card_made_through_the_project_api_is_readable_here(api: Api, project: dict[str, Any]) -> None:
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "From the board"}, expect=201)

    assert api.get(f"/api/cards/{card['id']}") == card | {"columnName": "Backlog", "sessions": [],
                                                          "cardTypeId": None, "fieldValues": []}


@pytest.mark.parametrize("suffix", ["", "/status"])
def test_unknown_card_is_not_found(client: FlaskClient, suffix: str) -> None:
    err = error(client, "GET", f"/api/cards/card_missing{suffix}", status=404)

    assert err["code"] == "not_found"
    assert "card_missing" in err["message"]


@pytest.mark.parametrize("suffix", ["", "/status"])
def test_a_deleted_card_is_not_found(client: FlaskClient, api: Api, project: dict[str, Any], suffix: str) -> None:
    card = flat_card(api, project)
    api.delete(f"/api/projects/{project['id']}/cards/{card['id']}")

    assert error(client, "GET", f"/api/cards/{card['id']}{suffix}", status=404)["code"] == "not_found"
