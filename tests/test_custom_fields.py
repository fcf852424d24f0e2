"""Custom fields and card types per project, and the values cards hold for them (seed 002)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import Api
from tests.ext_support import KeyClient, make_key


@pytest.fixture
def fields_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/fields"


def new_card(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.post("/api/cards", {"projectId": project["id"], "title": "Triage"}, expect=201)


def code(client: FlaskClient, method: str, path: str, status: int, json: Any = None) -> str:
    response = client.open(path, method=method, json=json)
    assert response.status_code == status, response.get_data(as_text=True)
    return str(response.get_json()["error"]["code"])


def test_fields_are_created_listed_changed_and_deleted(api: Api, fields_url: str) -> None:
    severity = api.post(fields_url, {"name": "Severity", "type": "text", "validation": "^P[0-4]$"}, expect=201)
    stage = api.post(fields_url, {"name": "Stage", "type": "select", "options": ["alpha", "beta"]}, expect=201)

    assert severity["id"].startswith("field_")
    assert (severity["name"], severity["type"], severity["validation"], severity["options"]) == (
        "Severity", "text", "^P[0-4]$", [])
    assert [f["id"] for f in api.get(fields_url)] == [severity["id"], stage["id"]]

    changed = api.patch(f"{fields_url}/{stage['id']}", {"name": "Phase", "options": ["alpha", "beta", "ga"]})
    assert (changed["name"], changed["options"]) == ("Phase", ["alpha", "beta", "ga"])
    assert api.patch(f"{fields_url}/{severity['id']}", {"validation": None})["validation"] is None

    api.delete(f"{fields_url}/{stage['id']}")
    assert [f["id"] for f in api.get(fields_url)] == [severity["id"]]
    api.delete(f"{fields_url}/{stage['id']}", expect=404)


@pytest.mark.parametrize("body", [
    {"name": "Bad", "type": "text", "validation": "([a-z"},       # does not compile
    {"name": "Bad", "type": "color"},
    {"name": "Bad", "type": "select"},                             # no options
    {"name": "", "type": "text"},
    {"type": "text"},
])
def test_bad_definitions_are_refused(client: FlaskClient, fields_url: str, body: dict[str, Any]) -> None:
    assert code(client, "POST", fields_url, 400, body) == "validation_error"


def test_a_regex_that_does_not_compile_is_refused_on_change(api: Api, client: FlaskClient, fields_url: str) -> None:
    field = api.post(fields_url, {"name": "Ticket", "type": "text"}, expect=201)

    assert code(client, "PATCH", f"{fields_url}/{field['id']}", 400, {"validation": "(?<"}) == "validation_error"
    assert api.get(fields_url)[0]["validation"] is None


def test_values_are_validated_against_their_field(api: Api, client: FlaskClient, project: Any, fields_url: str) -> None:
    severity = api.post(fields_url, {"name": "Severity", "type": "text", "validation": "^P[0-4]$"}, expect=201)
    stage = api.post(fields_url, {"name": "Stage", "type": "select", "options": ["alpha", "beta"]}, expect=201)
    tags = api.post(fields_url, {"name": "Tags", "type": "multiselect", "options": ["ui", "api"],
                                 "validation": "^ui$"}, expect=201)
    card = new_card(api, project)
    url = f"/api/cards/{card['id']}"

    set_values = api.patch(url, {"fieldValues": [{"fieldId": severity["id"], "value": "P2"},
                                                 {"fieldId": tags["id"], "value": ["ui", "api"]}]})
    assert sorted(map(tuple, (v.values() for v in set_values["fieldValues"]))) == sorted(
        [(severity["id"], "P2"), (tags["id"], ["ui", "api"])])

    assert code(client, "PATCH", url, 400, {"fieldValues": [{"fieldId": severity["id"], "value": "P9"}]}) == \
        "field_validation_failed"
    assert code(client, "PATCH", url, 400, {"fieldValues": [{"fieldId": stage["id"], "value": "gamma"}]}) == \
        "validation_error"
    assert code(client, "PATCH", url, 400, {"fieldValues": [{"fieldId": "field_nope", "value": "x"}]}) == \
        "validation_error"
    assert code(client, "PATCH", url, 400, {"title": "half", "fieldValues": [
        {"fieldId": severity["id"], "value": "nope"}]}) == "field_validation_failed"
    after = api.get(url)
    assert after["title"] == "Triage"  # no partial write
    assert {v["fieldId"]: v["value"] for v in after["fieldValues"]}[severity["id"]] == "P2"

    kept = api.patch(url, {"fieldValues": [{"fieldId": stage["id"], "value": "beta"}]})
    assert {v["fieldId"] for v in kept["fieldValues"]} == {severity["id"], tags["id"], stage["id"]}
    one_cleared = api.patch(url, {"fieldValues": [{"fieldId": tags["id"], "value": None}]})
    assert {v["fieldId"] for v in one_cleared["fieldValues"]} == {severity["id"], stage["id"]}
    assert api.patch(url, {"fieldValues": None})["fieldValues"] == []


def test_agents_meet_the_same_validation(api: Api, client: FlaskClient, project: Any, fields_url: str) -> None:
    severity = api.post(fields_url, {"name": "Severity", "type": "text", "validation": "^P[0-4]$"}, expect=201)
    card = new_card(api, project)
    key = KeyClient(client, make_key(api, allBoards=True)["key"])

    refused = key.call("PATCH", f"/api/cards/{card['id']}/mcp", 400,
                       json={"fieldValues": [{"fieldId": severity["id"], "value": "high"}], "agentId": "claude-1"})
    assert refused["error"]["code"] == "field_validation_failed"
    ok = key.patch(f"/api/cards/{card['id']}/mcp", {"fieldValues": [{"fieldId": severity["id"], "value": "P1"}]})
    assert ok["data"]["fieldValues"] == [{"fieldId": severity["id"], "value": "P1"}]


def test_a_pathological_regex_does_not_hang_the_request(api: Api, client: FlaskClient, project: Any,
                                                        fields_url: str) -> None:
    evil = api.post(fields_url, {"name": "Evil", "type": "text", "validation": "^(a+)+$"}, expect=201)
    card = new_card(api, project)
    started = time.monotonic()

    assert code(client, "PATCH", f"/api/cards/{card['id']}", 400,
                {"fieldValues": [{"fieldId": evil["id"], "value": "a" * 80 + "!"}]}) == "field_validation_failed"
    assert time.monotonic() - started < 10


def test_deleting_a_field_drops_it_from_required_fields(api: Api, project: Any, columns: Any, fields_url: str) -> None:
    field = api.post(fields_url, {"name": "Severity", "type": "text"}, expect=201)
    review = f"/api/projects/{project['id']}/columns/{columns['Review']['id']}"
    assert api.patch(review, {"requiredFields": ["title", field["id"]]})["requiredFields"] == ["title", field["id"]]

    api.delete(f"{fields_url}/{field['id']}")

    listed = {c["id"]: c for c in api.get(f"/api/projects/{project['id']}/columns")}
    assert listed[columns["Review"]["id"]]["requiredFields"] == ["title"]


def test_card_types_are_built_in_and_per_project(api: Api, client: FlaskClient, project: Any) -> None:
    url = f"/api/projects/{project['id']}/card-types"

    builtin = api.get(url)
    assert [(t["name"], t["builtin"]) for t in builtin] == [("task", True), ("bug", True), ("feature", True)]
    assert all(t["id"].startswith("ctype_") for t in builtin)
    spike = api.post(url, {"name": "spike"}, expect=201)
    assert (spike["name"], spike["builtin"]) == ("spike", False)
    assert [t["name"] for t in api.get(url)] == ["task", "bug", "feature", "spike"]
    assert code(client, "POST", url, 409, {"name": "Bug"}) == "card_type_exists"
    assert code(client, "GET", "/api/projects/proj_nope/card-types", 404) == "not_found"
