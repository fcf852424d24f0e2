"""Seed 002 through the API: transitions and approvals, required fields, the flat card routes
(update, move, archive or delete, restore, history), the agent `/mcp` routes with `ak_` keys, and
the organization card lists. Each workflow error comes in the shape of the dialect it came
through; every way of changing a card leaves a history row naming who did it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import CardHistory
from tests.conftest import Api, Users
from tests.ext_support import EXT, KeyClient, make_key
from tests.v1_helpers import agent_key, make_workspace


def flat_card(api: Api, project: dict[str, Any], title: str = "Wire up email verification", **fields: Any) -> Any:
    return api.post("/api/cards", {"projectId": project["id"], "title": title, **fields}, expect=201)


def board_id(columns: dict[str, Any]) -> str:
    return columns["Backlog"]["boardId"]


def set_transitions(api: Api, project: dict[str, Any], columns: dict[str, Any], *rules: tuple[str, str, bool]) -> Any:
    body = {"transitions": [{"fromColumnId": columns[a]["id"], "toColumnId": columns[b]["id"], "requiresApproval": r}
                            for a, b, r in rules]}
    return api.put(f"/api/projects/{project['id']}/boards/{board_id(columns)}/transitions", body)


def error(client: FlaskClient, method: str, path: str, status: int, json: Any = None,
          headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.open(path, method=method, json=json, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def history(app: Any, card_id: str) -> list[CardHistory]:
    with app.extensions["switchyard"].transaction() as db:
        rows = db.scalars(select(CardHistory).where(CardHistory.card_id == card_id).order_by(CardHistory.id)).all()
        db.expunge_all()
        return list(rows)


@pytest.fixture
def key(api: Api, client: FlaskClient) -> KeyClient:
    return KeyClient(client, make_key(api, "agents", allBoards=True)["key"])


# Transitions -----------------------------------------------------------------------------------


def test_transitions_are_replaced_as_a_set_and_read_back(api: Api, project: Any, columns: Any) -> None:
    base = f"/api/projects/{project['id']}/boards/{board_id(columns)}/transitions"
    assert api.get(base) == []

    saved = set_transitions(api, project, columns, ("Backlog", "Plan", False), ("Plan", "Review", True))

    assert {(t["fromColumnId"], t["toColumnId"], t["requiresApproval"]) for t in saved} == {
        (columns["Backlog"]["id"], columns["Plan"]["id"], False), (columns["Plan"]["id"], columns["Review"]["id"], True)}
    assert api.get(base) == saved
    assert set_transitions(api, project, columns, ("Plan", "Done", False))[0]["toColumnId"] == columns["Done"]["id"]
    assert len(api.get(base)) == 1
    assert api.put(base, {"transitions": []}) == []


def test_transitions_with_unknown_or_foreign_columns_are_refused(api: Api, client: FlaskClient, project: Any,
                                                                  columns: Any) -> None:
    base = f"/api/projects/{project['id']}/boards/{board_id(columns)}/transitions"
    other = api.post(f"/api/projects/{project['id']}/boards", {"name": "Other"}, expect=201)
    foreign = next(c for c in api.get(f"/api/projects/{project['id']}/columns") if c["boardId"] == other["id"])
    set_transitions(api, project, columns, ("Backlog", "Plan", False))

    for target in ("col_nope", foreign["id"]):
        body = {"transitions": [{"fromColumnId": columns["Backlog"]["id"], "toColumnId": target}]}
        problem = error(client, "PUT", base, 400, body)
        assert problem["code"] == "validation_error" and "toColumnId" in problem["message"]
    assert len(api.get(base)) == 1  # nothing written


def test_a_move_follows_the_transitions(api: Api, client: FlaskClient, project: Any, columns: Any) -> None:
    card = flat_card(api, project)
    set_transitions(api, project, columns, ("Backlog", "Plan", False))

    problem = error(client, "PATCH", f"/api/cards/{card['id']}/status", 400, {"toColumnId": columns["Done"]["id"]})
    assert problem["code"] == "transition_not_allowed"
    native = error(client, "PATCH", f"/api/projects/{project['id']}/cards/{card['id']}/move", 400,
                   {"columnId": columns["Done"]["id"]})
    assert native["code"] == "transition_not_allowed"
    assert api.get(f"/api/cards/{card['id']}")["columnId"] == columns["Backlog"]["id"]

    moved = api.patch(f"/api/cards/{card['id']}/status", {"toColumnId": columns["Plan"]["id"]})
    assert (moved["columnId"], moved["columnName"]) == (columns["Plan"]["id"], "Plan")
    api.put(f"/api/projects/{project['id']}/boards/{board_id(columns)}/transitions", {"transitions": []})
    assert api.patch(f"/api/cards/{card['id']}/status", {"toColumnId": columns["Done"]["id"]})["columnName"] == "Done"


def test_approval_lets_a_person_through_and_refuses_keys_and_agents(api: Api, client: FlaskClient, project: Any,
                                                                     columns: Any, key: KeyClient) -> None:
    set_transitions(api, project, columns, ("Backlog", "Review", True), ("Review", "Backlog", False))
    card = flat_card(api, project)

    refused = key.call("PATCH", f"/api/cards/{card['id']}/mcp/status", 403,
                       json={"toColumnId": columns["Review"]["id"], "agentId": "claude-1"})
    assert refused["error"]["code"] == "approval_required"
    lanes = f"{EXT}/boards/{board_id(columns)}/tasks/{card['id']}/move"
    assert key.error("POST", lanes, 403, {"laneId": columns["Review"]["id"]}) == "approval_required"
    assert api.get(f"/api/cards/{card['id']}")["columnId"] == columns["Backlog"]["id"]

    assert api.patch(f"/api/cards/{card['id']}/status", {"toColumnId": columns["Review"]["id"]})["columnName"] == "Review"
    back = key.patch(f"/api/cards/{card['id']}/mcp/status", {"toColumnId": columns["Backlog"]["id"]})
    assert back["data"]["columnId"] == columns["Backlog"]["id"]


def test_tasks_api_reports_workflow_codes_in_its_own_shape(api: Api, client: FlaskClient, project: Any,
                                                           columns: Any) -> None:
    tasks = KeyClient(client, make_key(api, allBoards=True, defaultProjectId=project["id"])["key"])
    task = tasks.post("/tasks-api.php?action=add", {"title": "Generate ad creatives"})["task"]
    set_transitions(api, project, columns, ("Backlog", "Plan", False))

    body = tasks.call("POST", "/tasks-api.php?action=move", 400, json={"task_id": task["id"], "to": "done"})
    assert body["success"] is False and body["code"] == "TRANSITION_NOT_ALLOWED" and body["error"]


def test_team_tasks_report_workflow_codes_in_their_own_shape(api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    builder = agent_key(api, workspace["id"])
    task = builder.post("/api/v1/tasks", {"title": "Implement login page"}, expect=201)
    card = api.get(f"/api/cards/{task['id']}")
    names = {c["name"]: c for c in api.get(f"/api/projects/{card['projectId']}/columns")
             if c["boardId"] == card["boardId"]}
    api.put(f"/api/projects/{card['projectId']}/boards/{card['boardId']}/transitions",
            {"transitions": [{"fromColumnId": names["Todo"]["id"], "toColumnId": names["Blocked"]["id"]}]})

    body = builder.patch(f"/api/v1/tasks/{task['id']}", {"status": "done"}, expect=400)
    assert body["error"] == "transition_not_allowed" and body["message"]
    assert builder.patch(f"/api/v1/tasks/{task['id']}", {"status": "blocked"})["status"] == "blocked"
    last = api.get(f"/api/cards/{task['id']}/history")[-1]
    assert (last["actorType"], last["action"]) == ("agent", "moved")


# Required fields -------------------------------------------------------------------------------


def test_a_column_refuses_cards_without_its_required_fields(api: Api, client: FlaskClient, project: Any,
                                                            columns: Any) -> None:
    severity = api.post(f"/api/projects/{project['id']}/fields", {"name": "Severity", "type": "text"}, expect=201)
    review = columns["Review"]
    api.patch(f"/api/projects/{project['id']}/columns/{review['id']}",
              {"requiredFields": ["assignedAgentId", severity["id"], "priority"]})
    card = flat_card(api, project)

    problem = error(client, "PATCH", f"/api/cards/{card['id']}/status", 400, {"toColumnId": review["id"]})
    assert problem["code"] == "required_fields_missing"
    assert all(name in problem["message"] for name in ("assignedAgentId", severity["id"], "priority"))

    api.patch(f"/api/cards/{card['id']}", {"assignedAgentId": "claude-1", "priority": "high",
                                           "fieldValues": [{"fieldId": severity["id"], "value": "P2"}]})
    assert api.patch(f"/api/cards/{card['id']}/status", {"toColumnId": review["id"]})["columnName"] == "Review"


def test_required_fields_must_exist(api: Api, client: FlaskClient, project: Any, columns: Any) -> None:
    problem = error(client, "PATCH", f"/api/projects/{project['id']}/columns/{columns['Review']['id']}", 400,
                    {"requiredFields": ["field_nope"]})
    assert problem["code"] == "validation_error" and "requiredFields" in problem["message"]


# The card ----------------------------------------------------------------------------------------


def test_update_a_card_missing_keys_unchanged_nulls_clear(api: Api, client: FlaskClient, project: Any) -> None:
    card = flat_card(api, project)
    types = {t["name"]: t for t in api.get(f"/api/projects/{project['id']}/card-types")}

    changed = api.patch(f"/api/cards/{card['id']}", {
        "title": "Wire up email verification (urgent)", "assignedAgentId": "claude-1", "priority": "urgent",
        "dueDate": "2026-06-01T00:00:00Z", "cardTypeId": types["bug"]["id"]})
    assert (changed["title"], changed["assignedAgentId"], changed["priority"], changed["cardTypeId"]) == (
        "Wire up email verification (urgent)", "claude-1", "urgent", types["bug"]["id"])
    assert changed["dueDate"].startswith("2026-06-01T00:00:00")
    assert {"columnName", "sessions", "fieldValues", "createdAt", "updatedAt"} <= set(changed)

    kept = api.patch(f"/api/cards/{card['id']}", {"priority": "low"})
    assert (kept["assignedAgentId"], kept["cardTypeId"], kept["priority"]) == ("claude-1", types["bug"]["id"], "low")
    cleared = api.patch(f"/api/cards/{card['id']}", {"assignedAgentId": None, "dueDate": None, "cardTypeId": None})
    assert (cleared["assignedAgentId"], cleared["dueDate"], cleared["cardTypeId"]) == (None, None, None)
    assert cleared["title"] == "Wire up email verification (urgent)"

    assert error(client, "PATCH", f"/api/cards/{card['id']}", 400, {"priority": "p0"})["code"] == "validation_error"
    assert error(client, "PATCH", f"/api/cards/{card['id']}", 400, {"cardTypeId": "ctype_nope"})["code"] == \
        "validation_error"
    assert error(client, "PATCH", f"/api/cards/{card['id']}", 400, {"assignedUserId": "user_nope"})["code"] == \
        "validation_error"
    error(client, "PATCH", "/api/cards/card_nope", 404, {"title": "x"})


def test_archive_restore_and_permanent_delete(api: Api, client: FlaskClient, app: Any, project: Any) -> None:
    card = flat_card(api, project)

    assert client.delete(f"/api/cards/{card['id']}").get_json() == {"data": {"success": True}}
    assert api.get(f"/api/cards/{card['id']}")["archived"] is True
    assert [c["id"] for c in api.get(f"/api/projects/{project['id']}/cards")] == []
    restored = api.post(f"/api/cards/{card['id']}/restore")
    assert restored["archived"] is False and restored["id"] == card["id"]

    response = client.delete(f"/api/cards/{card['id']}?mode=permanent")
    assert response.status_code == 200 and response.get_json() == {"data": {"success": True}}
    api.get(f"/api/cards/{card['id']}", expect=404)
    actions = [row.action for row in history(app, card["id"])]
    assert actions == ["created", "archived", "restored", "deleted"]  # the history outlives the card
    assert error(client, "DELETE", "/api/cards/card_nope", 404)["code"] == "not_found"
    assert error(client, "DELETE", f"/api/cards/{card['id']}?mode=shred", 400)["code"] == "validation_error"


# History ---------------------------------------------------------------------------------------


def test_every_way_of_changing_a_card_writes_history(api: Api, client: FlaskClient, project: Any, columns: Any,
                                                     key: KeyClient) -> None:
    card = flat_card(api, project)
    cid, board = card["id"], board_id(columns)
    tasks = KeyClient(client, make_key(api, allBoards=True, defaultProjectId=project["id"])["key"])

    api.patch(f"/api/projects/{project['id']}/cards/{cid}", {"title": "native"})
    api.patch(f"/api/cards/{cid}", {"title": "flat"})
    api.patch(f"/api/cards/{cid}/status", {"toColumnId": columns["Backlog"]["id"]})
    key.patch(f"/api/cards/{cid}/mcp", {"title": "agent", "agentId": "claude-1"})
    key.patch(f"/api/cards/{cid}/mcp/status", {"toColumnId": columns["Done"]["id"], "agentId": "claude-1"})
    key.post(f"{EXT}/boards/{board}/tasks/{cid}/move", {"laneId": columns["Backlog"]["id"]})
    tasks.post("/tasks-api.php?action=move", {"task_id": cid, "to": "done"})
    client.delete(f"/api/cards/{cid}")
    api.post(f"/api/cards/{cid}/restore")

    rows = api.get(f"/api/cards/{cid}/history")
    assert [(r["actorType"], r["action"]) for r in rows] == [
        ("user", "created"), ("user", "updated"), ("user", "updated"), ("user", "moved"),
        ("api_key", "updated"), ("api_key", "moved"), ("api_key", "moved"), ("api_key", "moved"),
        ("user", "archived"), ("user", "restored")]
    assert rows[1]["changes"] == {"title": {"before": "Wire up email verification", "after": "native"}}
    assert rows[4]["actorId"] == rows[5]["actorId"] == "claude-1"
    assert rows[6]["actorId"].startswith("key_") or rows[6]["actorId"] != "claude-1"
    assert all(r["createdAt"] and r["cardId"] == cid for r in rows)


# Agent routes ----------------------------------------------------------------------------------


def test_agent_routes_take_keys_only(api: Api, client: FlaskClient, users: Users, project: Any) -> None:
    card = flat_card(api, project)
    key = make_key(api, allBoards=True)["key"]
    token = users.setup_admin()
    users.enable_auth(token)
    bearer = {"Authorization": f"Bearer {token}"}

    for method, path in (("GET", f"/api/cards/{card['id']}/mcp"), ("PATCH", f"/api/cards/{card['id']}/mcp"),
                         ("PATCH", f"/api/cards/{card['id']}/mcp/status"),
                         ("GET", "/api/organizations/org_x/cards/mcp")):
        assert error(client, method, path, 401, {} if method == "PATCH" else None, bearer)["code"] == "invalid_key"
        assert error(client, method, path, 401, {} if method == "PATCH" else None)["code"] == "missing_auth"
    assert client.get(f"/api/cards/{card['id']}/mcp", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get(f"/api/cards/{card['id']}", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_key_sees_only_its_boards_and_a_read_key_cannot_write(api: Api, client: FlaskClient, project: Any,
                                                                 columns: Any) -> None:
    other = api.post(f"/api/projects/{project['id']}/boards", {"name": "Other"}, expect=201)
    mine, theirs = flat_card(api, project), flat_card(api, project, "elsewhere", boardId=other["id"])
    reader = KeyClient(client, make_key(api, boards=[{"boardId": board_id(columns), "permission": "read"}])["key"])

    got = reader.get(f"/api/cards/{mine['id']}/mcp")["data"]
    assert (got["id"], got["title"], got["fieldValues"]) == (mine["id"], mine["title"], [])
    assert reader.call("GET", f"/api/cards/{theirs['id']}/mcp", 404)["error"]["code"] == "not_found"
    assert reader.call("PATCH", f"/api/cards/{theirs['id']}/mcp", 404, json={"title": "x"})["error"]["code"] == \
        "not_found"
    assert reader.call("PATCH", f"/api/cards/{mine['id']}/mcp", 403, json={"title": "x"})["error"]["code"] == \
        "forbidden"
    assert reader.call("PATCH", f"/api/cards/{mine['id']}/mcp/status", 403,
                       json={"toColumnId": columns["Done"]["id"]})["error"]["code"] == "forbidden"
    assert api.get(f"/api/cards/{mine['id']}")["title"] == mine["title"]


# Organization card lists -----------------------------------------------------------------------


def test_organization_card_lists(api: Api, client: FlaskClient, users: Users, repo: Path,
                                 make_repo: Any) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    root = api.as_user(token)
    team = root.post("/api/organizations", {"name": "Team"}, expect=201)
    inside = root.post("/api/projects", {"name": "In", "path": str(repo), "organizationId": team["id"]}, expect=201)
    outside = root.post("/api/projects", {"name": "Out", "path": str(make_repo("out"))}, expect=201)
    a = root.post("/api/cards", {"projectId": inside["id"], "title": "a"}, expect=201)
    b = root.post("/api/cards", {"projectId": inside["id"], "title": "b"}, expect=201)
    root.patch(f"/api/cards/{b['id']}", {"assignedAgentId": "claude-1"})
    root.post("/api/cards", {"projectId": outside["id"], "title": "not in the org"}, expect=201)

    listed = root.get(f"/api/organizations/{team['id']}/cards")
    assert [c["id"] for c in listed["cards"]] == [a["id"], b["id"]] and listed["total"] == 2
    assert [c["id"] for c in root.get(f"/api/organizations/{team['id']}/cards?assignedAgentId=claude-1")["cards"]] \
        == [b["id"]]
    paged = root.get(f"/api/organizations/{team['id']}/cards?page=2&pageSize=1")
    assert ([c["id"] for c in paged["cards"]], paged["total"], paged["page"], paged["pageSize"]) == ([b["id"]], 2, 2, 1)
    assert root.get(f"/api/organizations/{team['id']}/cards?projectId={outside['id']}")["cards"] == []

    stranger_token, _ = users.register("stranger@example.com")
    assert api.as_user(stranger_token).get(f"/api/organizations/{team['id']}/cards", expect=404)["error"]["code"] \
        == "not_found"
    member_token, _ = users.register("member@example.com")
    root.post(f"/api/organizations/{team['id']}/members", {"email": "member@example.com", "role": "member"},
              expect=201)
    assert api.as_user(member_token).get(f"/api/organizations/{team['id']}/cards")["total"] == 2

    key = KeyClient(client, make_key(root, allBoards=True)["key"])
    assert [c["id"] for c in key.get(f"/api/organizations/{team['id']}/cards/mcp")["data"]["cards"]] == [a["id"], b["id"]]
    board = root.get(f"/api/projects/{outside['id']}/boards")[0]
    scoped = KeyClient(client, make_key(root, "scoped", boards=[{"boardId": board["id"], "permission": "read"}])["key"])
    assert scoped.get(f"/api/organizations/{team['id']}/cards/mcp")["data"]["cards"] == []
