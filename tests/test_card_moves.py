"""Moving cards: between and within columns, the positions of every card around them, what
entering a done column means, and the history and events a move leaves."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ACTIVE_SESSION_STATUSES, AgentSession, CardHistory, Event
from tests.conftest import Api


def cards_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/cards"


def new_card(api: Api, project: dict[str, Any], title: str, column: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"title": title} | ({"columnId": column["id"]} if column else {})
    return api.post(cards_url(project), body, expect=201)


def move(api: Api, project: dict[str, Any], card: dict[str, Any], column: dict[str, Any],
         position: int | None = None, expect: int = 200) -> Any:
    body = {"columnId": column["id"]} | ({"position": position} if position is not None else {})
    return api.patch(f"{cards_url(project)}/{card['id']}/move", body, expect=expect)


def board_order(api: Api, project: dict[str, Any]) -> dict[str, list[str]]:
    """Card titles per column id in position order, after checking each column is dense 0..n-1."""
    by_column: dict[str, list[dict[str, Any]]] = {}
    for card in api.get(cards_url(project)):
        by_column.setdefault(card["columnId"], []).append(card)
    order = {}
    for column_id, cards in by_column.items():
        cards.sort(key=lambda c: c["position"])
        assert [c["position"] for c in cards] == list(range(len(cards))), (column_id, cards)
        order[column_id] = [c["title"] for c in cards]
    return order


def fill(api: Api, project: dict[str, Any], column: dict[str, Any], titles: str) -> dict[str, dict[str, Any]]:
    """One card per letter of `titles`, in that order, in `column`; by title."""
    return {title: new_card(api, project, title, column) for title in titles}


def error(client: FlaskClient, path: str, json: Any, status: int) -> dict[str, Any]:
    response = client.patch(path, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


@pytest.fixture
def backlog(columns: dict[str, Any]) -> dict[str, Any]:
    return columns["Backlog"]


@pytest.fixture
def plan(columns: dict[str, Any]) -> dict[str, Any]:
    return columns["Plan"]


# Between columns -------------------------------------------------------------------------------


def test_move_to_another_column_goes_to_the_end_by_default(
    api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any]
) -> None:
    cards = fill(api, project, backlog, "abc")
    fill(api, project, plan, "xy")

    moved = move(api, project, cards["b"], plan)

    assert (moved["columnId"], moved["position"]) == (plan["id"], 2)
    assert moved["boardId"] == plan["boardId"]
    assert board_order(api, project) == {backlog["id"]: ["a", "c"], plan["id"]: ["x", "y", "b"]}


@pytest.mark.parametrize(("position", "expected"), [
    (0, ["b", "x", "y", "z"]),
    (1, ["x", "b", "y", "z"]),
    (2, ["x", "y", "b", "z"]),
    (3, ["x", "y", "z", "b"]),
    (4, ["x", "y", "z", "b"]),
    (1000, ["x", "y", "z", "b"]),
])
def test_move_to_a_position_in_another_column_shifts_the_others(
    api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any],
    position: int, expected: list[str],
) -> None:
    cards = fill(api, project, backlog, "abc")
    fill(api, project, plan, "xyz")

    moved = move(api, project, cards["b"], plan, position)

    assert moved["position"] == expected.index("b")
    assert board_order(api, project) == {backlog["id"]: ["a", "c"], plan["id"]: expected}


def test_move_into_an_empty_column(
    api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any]
) -> None:
    cards = fill(api, project, backlog, "ab")

    assert move(api, project, cards["a"], plan, 5)["position"] == 0
    assert board_order(api, project) == {backlog["id"]: ["b"], plan["id"]: ["a"]}


def test_move_the_last_card_out_of_a_column(
    api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any]
) -> None:
    cards = fill(api, project, backlog, "a")

    move(api, project, cards["a"], plan)

    assert board_order(api, project) == {plan["id"]: ["a"]}


def test_move_to_a_column_of_another_board_of_the_project(
    api: Api, project: dict[str, Any], backlog: dict[str, Any]
) -> None:
    board = api.post(f"/api/projects/{project['id']}/boards", {"name": "Second"}, expect=201)
    target = api.get(f"/api/projects/{project['id']}/columns?boardId={board['id']}")[0]
    cards = fill(api, project, backlog, "ab")

    moved = move(api, project, cards["a"], target)

    assert (moved["boardId"], moved["columnId"], moved["position"]) == (board["id"], target["id"], 0)
    assert board_order(api, project) == {backlog["id"]: ["b"], target["id"]: ["a"]}


# Within a column -------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "position", "expected"), [
    ("a", 0, "abcde"),
    ("a", 2, "bcade"),
    ("a", 4, "bcdea"),
    ("e", 0, "eabcd"),
    ("d", 1, "adbce"),
    ("b", 3, "acdbe"),
    ("c", 2, "abcde"),
    ("b", 5, "acdeb"),
    ("b", 999, "acdeb"),
])
def test_reorder_within_a_column(
    api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any],
    title: str, position: int, expected: str,
) -> None:
    cards = fill(api, project, backlog, "abcde")
    fill(api, project, plan, "xy")

    moved = move(api, project, cards[title], backlog, position)

    assert (moved["columnId"], moved["position"]) == (backlog["id"], expected.index(title))
    assert board_order(api, project) == {backlog["id"]: list(expected), plan["id"]: ["x", "y"]}


def test_many_moves_keep_every_column_dense_and_in_the_expected_order(
    api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    """A seeded random walk of moves, checked after each against a list model of the board."""
    rng = random.Random(20240601)
    targets = [columns[name] for name in ("Backlog", "Plan", "Implement", "Done")]
    cards = fill(api, project, targets[0], "abcdefgh")
    model: dict[str, list[str]] = {targets[0]["id"]: list("abcdefgh")}

    for _ in range(40):
        title = rng.choice("abcdefgh")
        target = rng.choice(targets)
        position = rng.choice([None, 0, 1, 2, 5, 20])
        source = next(column_id for column_id, titles in model.items() if title in titles)
        if source != target["id"] or position is not None:
            model[source].remove(title)
            column = model.setdefault(target["id"], [])
            column.insert(len(column) if position is None else min(position, len(column)), title)
        model = {column_id: titles for column_id, titles in model.items() if titles}

        move(api, project, cards[title], target, position)

        assert board_order(api, project) == model


# Rejected moves --------------------------------------------------------------------------------


@pytest.fixture
def other_project(api: Api, make_repo: Callable[..., Path]) -> dict[str, Any]:
    return api.post("/api/projects", {"name": "Other", "path": str(make_repo("other")),
                                      "templateId": "tpl_agent_pipeline"}, expect=201)


@pytest.mark.parametrize("which", ["unknown", "other project's"])
def test_move_to_a_column_the_project_does_not_have_is_not_found(
    client: FlaskClient, api: Api, project: dict[str, Any], other_project: dict[str, Any],
    backlog: dict[str, Any], which: str,
) -> None:
    column_id = ("col_missing" if which == "unknown"
                 else api.get(f"/api/projects/{other_project['id']}/columns")[1]["id"])
    cards = fill(api, project, backlog, "abc")
    before = api.get(cards_url(project))

    err = error(client, f"{cards_url(project)}/{cards['a']['id']}/move", {"columnId": column_id, "position": 0}, 404)

    assert err["code"] == "not_found"
    assert column_id in err["message"]
    assert api.get(cards_url(project)) == before
    assert api.get(cards_url(other_project)) == []


def test_move_an_unknown_card_is_not_found(client: FlaskClient, project: dict[str, Any], plan: dict[str, Any]) -> None:
    err = error(client, f"{cards_url(project)}/card_missing/move", {"columnId": plan["id"]}, 404)
    assert err["code"] == "not_found"
    assert "card_missing" in err["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "columnId"),
    ({"columnId": ""}, "columnId"),
    ({"columnId": None}, "columnId"),
    ({"columnId": "PLAN", "position": -1}, "position"),
    ({"columnId": "PLAN", "position": "top"}, "position"),
    ({"columnId": "PLAN", "position": 1.5}, "position"),
])
def test_move_body_is_validated(
    client: FlaskClient, api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any],
    body: dict[str, Any], field: str,
) -> None:
    card = new_card(api, project, "a", backlog)
    if body.get("columnId") == "PLAN":
        body = body | {"columnId": plan["id"]}

    err = error(client, f"{cards_url(project)}/{card['id']}/move", body, 400)

    assert err["code"] == "validation_error"
    assert field in err["message"]
    assert api.get(f"{cards_url(project)}/{card['id']}") == card


# Entering a done column ------------------------------------------------------------------------


def test_moving_to_done_sets_completed_at_and_moving_back_clears_it(
    api: Api, project: dict[str, Any], columns: dict[str, Any], backlog: dict[str, Any]
) -> None:
    card = new_card(api, project, "a", backlog)
    assert card["completedAt"] is None

    done = move(api, project, card, columns["Done"])
    assert done["completedAt"] is not None and done["completedAt"].endswith("Z")
    assert api.get(f"{cards_url(project)}/{card['id']}")["completedAt"] == done["completedAt"]

    assert move(api, project, card, columns["Review"])["completedAt"] is None
    assert api.get(f"{cards_url(project)}/{card['id']}")["completedAt"] is None


def test_reordering_inside_done_keeps_completed_at(
    api: Api, project: dict[str, Any], columns: dict[str, Any], backlog: dict[str, Any]
) -> None:
    first, second = new_card(api, project, "a", backlog), new_card(api, project, "b", backlog)
    done_first = move(api, project, first, columns["Done"])
    move(api, project, second, columns["Done"])

    reordered = move(api, project, first, columns["Done"], 1)

    assert reordered["position"] == 1
    assert reordered["completedAt"] == done_first["completedAt"]


def test_card_created_in_done_is_completed(api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    card = new_card(api, project, "already shipped", columns["Done"])
    assert card["completedAt"] is not None


# History and events ----------------------------------------------------------------------------


def test_move_writes_history_and_an_event(
    app: Any, api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any]
) -> None:
    cards = fill(api, project, backlog, "ab")
    fill(api, project, plan, "x")

    move(api, project, cards["a"], plan, 0)

    with app.extensions["switchyard"].transaction() as session:
        row = session.scalars(select(CardHistory).where(CardHistory.card_id == cards["a"]["id"])
                              .order_by(CardHistory.id.desc())).first()
        assert (row.actor_type, row.action) == ("user", "moved")
        assert row.changes == {"columnId": {"before": backlog["id"], "after": plan["id"]},
                               "position": {"before": 0, "after": 0}}
        event = session.scalars(select(Event).where(Event.card_id == cards["a"]["id"], Event.type == "card.moved")
                                ).one()
        assert event.project_id == project["id"]
        assert event.data == {"cardId": cards["a"]["id"], "fromColumnId": backlog["id"],
                              "toColumnId": plan["id"], "position": 0}


def test_rejected_move_writes_no_history_and_no_event(
    app: Any, client: FlaskClient, api: Api, project: dict[str, Any], backlog: dict[str, Any]
) -> None:
    card = new_card(api, project, "a", backlog)

    error(client, f"{cards_url(project)}/{card['id']}/move", {"columnId": "col_missing"}, 404)

    with app.extensions["switchyard"].transaction() as session:
        assert session.scalars(select(CardHistory.action).where(CardHistory.card_id == card["id"])).all() \
            == ["created"]
        assert session.scalars(select(Event.type).where(Event.card_id == card["id"])).all() == ["card.created"]


# Agents on entering and leaving a column -------------------------------------------------------


def active_sessions(app: Any, card_id: str) -> list[tuple[str, str]]:
    """(column id, status) of the card's sessions that are queued or running."""
    with app.extensions["switchyard"].transaction() as session:
        rows = session.execute(select(AgentSession.column_id, AgentSession.status).where(
            AgentSession.card_id == card_id, AgentSession.status.in_(ACTIVE_SESSION_STATUSES)))
        return [tuple(row) for row in rows]


def test_entering_an_active_column_queues_one_agent(
    app: Any, api: Api, project: dict[str, Any], backlog: dict[str, Any], plan: dict[str, Any]
) -> None:
    card = new_card(api, project, "a", backlog)
    assert active_sessions(app, card["id"]) == []

    moved = move(api, project, card, plan)

    assert moved["hasActiveAgent"] is True
    assert active_sessions(app, card["id"]) == [(plan["id"], "queued")]
    move(api, project, card, plan, 0)
    assert active_sessions(app, card["id"]) == [(plan["id"], "queued")]


@pytest.mark.parametrize(("target", "expected"), [("Backlog", []), ("Done", []), ("Implement", ["Implement"])])
def test_a_queued_agent_does_not_follow_the_card_out_of_its_column(
    app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any], plan: dict[str, Any],
    target: str, expected: list[str],
) -> None:
    card = new_card(api, project, "a", plan)
    assert active_sessions(app, card["id"]) == [(plan["id"], "queued")]

    moved = move(api, project, card, columns[target])

    assert moved["hasActiveAgent"] is bool(expected)
    assert active_sessions(app, card["id"]) == [(columns[name]["id"], "queued") for name in expected]
