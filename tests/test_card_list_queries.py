"""The board's card list costs a fixed number of SQL statements, however many cards it shows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from models import AgentSession
from tests.conftest import Api

SPREAD = ("Backlog", "Plan", "Implement", "Review", "Done")
ACTIVE = ("Plan", "Implement", "Review")  # entering them queues an agent session
PRIORITIES = ("none", "low", "medium", "high", "urgent")


@contextmanager
def counted_statements(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    engine = app.extensions["switchyard"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_cards(api: Api, project: dict[str, Any], columns: dict[str, Any], numbers: range) -> list[dict[str, Any]]:
    """Cards "Card <n>" spread over the columns, with labels and priorities, through the API."""
    return [
        api.post(f"/api/projects/{project['id']}/cards", {
            "title": f"Card {n}", "columnId": columns[SPREAD[n % len(SPREAD)]]["id"],
            "labels": [f"label-{n % 3}"], "priority": PRIORITIES[n % len(PRIORITIES)],
        }, expect=201)
        for n in numbers
    ]


def list_cards(api: Api, app: Any, url: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The list's cards, and the statements it took."""
    with counted_statements(app) as statements:
        listed = api.get(url)
    return listed, statements


@pytest.mark.parametrize(("query", "few_cards", "many_cards"), [
    ("", 5, 60),
    ("boardId", 5, 60),
    ("columnId", 1, 12),  # every fifth card sits in Backlog
    ("includeArchived", 5, 60),
])
def test_card_list_statement_count_does_not_grow_with_the_cards(
    app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any],
    query: str, few_cards: int, many_cards: int,
) -> None:
    values = {"": "", "boardId": columns["Backlog"]["boardId"], "columnId": columns["Backlog"]["id"],
              "includeArchived": "true"}
    url = f"/api/projects/{project['id']}/cards" + (f"?{query}={values[query]}" if query else "")

    add_cards(api, project, columns, range(5))
    few, few_statements = list_cards(api, app, url)
    add_cards(api, project, columns, range(5, 60))
    many, many_statements = list_cards(api, app, url)

    assert (len(few), len(many)) == (few_cards, many_cards)
    assert len(many_statements) == len(few_statements), "\n".join(many_statements)


def test_agent_state_and_usage_come_without_a_query_per_card(
    app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any]
) -> None:
    """Sessions as a worker records them: a finished one with usage on every card, and a running
    one on the even-numbered cards (besides the sessions queued for cards in active columns)."""
    url = f"/api/projects/{project['id']}/cards"

    def record_sessions(cards: list[dict[str, Any]]) -> None:
        with app.extensions["switchyard"].transaction() as session:
            for card in cards:
                session.add(AgentSession(project_id=project["id"], card_id=card["id"], column_id=card["columnId"],
                                         status="completed", input_tokens=100, output_tokens=10, cost_usd=0.5))
                if int(card["title"].split()[1]) % 2 == 0:
                    session.add(AgentSession(project_id=project["id"], card_id=card["id"],
                                             column_id=card["columnId"], status="running"))

    record_sessions(add_cards(api, project, columns, range(5)))
    _, few_statements = list_cards(api, app, url)
    record_sessions(add_cards(api, project, columns, range(5, 60)))
    listed, many_statements = list_cards(api, app, url)

    assert len(many_statements) == len(few_statements), "\n".join(many_statements)
    assert len(listed) == 60
    for card in listed:
        number = int(card["title"].split()[1])
        assert card["hasActiveAgent"] is (number % 2 == 0 or SPREAD[number % len(SPREAD)] in ACTIVE), card["title"]
        assert card["usage"] | {"costUsd": None} == {"inputTokens": 100, "outputTokens": 10, "cacheReadTokens": 0,
                                                     "cacheWriteTokens": 0, "costKnown": True, "costUsd": None}
        assert card["usage"]["costUsd"] == pytest.approx(0.5)


def test_list_summaries_agree_with_the_full_card(api, project) -> None:  # type: ignore[no-untyped-def]
    """The list reads labels and times raw for speed; what it shows must equal the card's record."""
    created = api.post(f"/api/projects/{project['id']}/cards",
                       {"title": "Dated", "labels": ["ui", "bug"], "dueDate": "2027-03-04T05:06:07.089+02:00"},
                       expect=201)
    api.post(f"/api/projects/{project['id']}/cards", {"title": "Undated"}, expect=201)
    listed = {c["id"]: c for c in api.get(f"/api/projects/{project['id']}/cards")}
    for card_id, summary in listed.items():
        full = api.get(f"/api/projects/{project['id']}/cards/{card_id}")
        assert summary == {key: full[key] for key in summary}
    assert listed[created["id"]]["dueDate"] == "2027-03-04T03:06:07.089Z"
    assert listed[created["id"]]["labels"] == ["ui", "bug"]
