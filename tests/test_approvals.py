"""The human gates and hand-offs: auto-advances that wait for approval, the list of everything
waiting for a person, relaying a card to a fresh session, and the card's work summary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import ColumnTransition, Event
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def require_approval(app: Any, columns: dict[str, Any], source: str, target: str) -> None:
    """Every move of the board allowed (a board with transitions allows only those listed), the one
    from `source` to `target` only with a person's approval."""
    board = columns[source]["boardId"]
    ids = [c["id"] for c in columns.values() if c["boardId"] == board]
    gated = (columns[source]["id"], columns[target]["id"])
    with app.extensions["switchyard"].transaction() as db:
        for a in ids:
            for b in ids:
                if a != b:
                    db.add(ColumnTransition(board_id=board, from_column_id=a, to_column_id=b,
                                            requires_approval=(a, b) == gated))


def cards_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/cards"


def auto_card(api: Api, project: dict[str, Any], columns: dict[str, Any], title: str) -> dict[str, Any]:
    card = api.post(cards_url(project), {"title": title}, expect=201)
    api.patch(f"{cards_url(project)}/{card['id']}/auto-mode", {"enabled": True})
    api.patch(f"{cards_url(project)}/{card['id']}/move", {"columnId": columns["Implement"]["id"]})
    return card


def error_code(api: Api, method: str, path: str, json: Any = None) -> str:
    response = api.client.open(path, method=method, json=json)
    assert response.status_code == 409, response.get_data(as_text=True)
    return response.get_json()["error"]["code"]


def test_an_advance_that_requires_approval_waits_until_approved(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    require_approval(app, columns, "Implement", "Review")
    script = [[{"tool": "finish", "input": {"summary": "implemented"}}], [{"text": "Reviewed: fine."}]]
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = auto_card(api, project, columns, "Gated")
        run_until_settled(app)

        waiting = api.get(f"{cards_url(project)}/{card['id']}")
        assert waiting["columnId"] == columns["Implement"]["id"]
        assert waiting["awaitingApprovalColumnId"] == columns["Review"]["id"]
        assert len(server.requests) == 1, "nothing runs while the card waits"
        [item] = api.get("/api/approvals")
        assert {k: item[k] for k in ("kind", "projectId", "projectName", "cardId", "cardTitle", "fromColumnId",
                                     "toColumnId", "toColumnName", "sessionId", "plan")} == {
            "kind": "advance", "projectId": project["id"], "projectName": "Demo", "cardId": card["id"],
            "cardTitle": "Gated", "fromColumnId": columns["Implement"]["id"], "toColumnId": columns["Review"]["id"],
            "toColumnName": "Review", "sessionId": None, "plan": None}
        assert item["since"].endswith("Z")
        with app.extensions["switchyard"].transaction() as db:
            event = db.scalars(select(Event).where(Event.type == "approval.waiting")).one()
            assert event.data == {"kind": "advance", "cardId": card["id"], "fromColumnId": columns["Implement"]["id"],
                                  "toColumnId": columns["Review"]["id"]}

        api.post(f"{cards_url(project)}/{card['id']}/approve-auto", expect=204)
        moved = api.get(f"{cards_url(project)}/{card['id']}")
        assert (moved["columnId"], moved["awaitingApprovalColumnId"]) == (columns["Review"]["id"], None)
        assert api.get("/api/approvals") == []
        run_until_settled(app)

    assert len(server.requests) == 2, "the next stage ran once approved"
    assert api.get(f"{cards_url(project)}/{card['id']}")["columnId"] == columns["Done"]["id"]  # no gate there
    assert error_code(api, "POST", f"{cards_url(project)}/{card['id']}/approve-auto") == "nothing_to_approve"


def test_moving_a_waiting_card_elsewhere_withdraws_the_approval(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    require_approval(app, columns, "Implement", "Review")
    with fake_provider("openai", [[{"text": "Done here."}]]) as (_server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "openai", url)})
        card = auto_card(api, project, columns, "Changed my mind")
        run_until_settled(app)
    assert len(api.get("/api/approvals")) == 1
    api.patch(f"{cards_url(project)}/{card['id']}/move", {"columnId": columns["Backlog"]["id"]})
    assert api.get(f"{cards_url(project)}/{card['id']}")["awaitingApprovalColumnId"] is None
    assert api.get("/api/approvals") == []
    assert error_code(api, "POST", f"{cards_url(project)}/{card['id']}/approve-auto") == "nothing_to_approve"


def test_plans_wait_in_the_approvals_list_for_the_people_who_can_see_them(app, api, project, columns, users) -> None:  # type: ignore[no-untyped-def]
    require_approval(app, columns, "Implement", "Review")
    script = [[{"text": "Done."}], [{"tool": "submit_plan", "input": {"plan": "1. Add a greeting"}}]]
    with fake_provider("anthropic", script) as (_server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        advancing = auto_card(api, project, columns, "Advance first")
        run_until_settled(app)
        planned = api.post(cards_url(project), {"title": "Plan second", "columnId": columns["Plan"]["id"]},
                           expect=201)
        run_until_settled(app)

    items = api.get("/api/approvals")
    assert [(i["kind"], i["cardId"]) for i in items] == [("advance", advancing["id"]), ("plan", planned["id"])]
    plan = items[1]
    session = api.get(f"{cards_url(project)}/{planned['id']}/agent")
    assert (plan["plan"], plan["sessionId"], plan["fromColumnId"]) == ("1. Add a greeting", session["id"],
                                                                       columns["Plan"]["id"])
    assert plan["toColumnId"] is None and items[0]["since"] <= plan["since"]
    with app.extensions["switchyard"].transaction() as db:
        notified = [(e.data["kind"], e.card_id) for e in db.scalars(select(Event).where(Event.type == "notification"))]
    assert ("approvalWaiting", advancing["id"]) in notified and ("planSubmitted", planned["id"]) in notified

    root = users.setup_admin()
    stranger, _ = users.register("stranger@example.com")
    users.enable_auth(root)
    assert api.as_user(stranger).get("/api/approvals") == []
    assert len(api.as_user(root).get("/api/approvals")) == 2
    api.get("/api/approvals", expect=401)


def test_relay_seeds_a_fresh_session_with_the_earlier_sessions(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    script = [
        [{"tool": "write_file", "input": {"path": "part1.txt", "content": "one\n"}}],
        [{"tool": "finish", "input": {"summary": "wrote part one; part two is left"}}],
        [{"tool": "finish", "input": {"summary": "wrote part two"}}],
    ]
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(cards_url(project), {"title": "Two parts", "columnId": columns["Implement"]["id"]},
                        expect=201)
        agent = f"{cards_url(project)}/{card['id']}/agent"
        run_until_settled(app)

        api.post(f"{agent}/relay", expect=204)
        assert error_code(api, "POST", f"{agent}/relay") == "agent_running"
        preview = api.get(f"{cards_url(project)}/{card['id']}/prompt-preview")
        assert "Earlier sessions on this card" in preview["user"]
        run_until_settled(app)

    first_message = server.requests[2]["body"]["messages"][0]
    text = str(first_message["content"])
    assert first_message["role"] == "user" and text.count("Implement: completed") == 1
    assert "wrote part one; part two is left" in text and "1 file changed, +1 -0 lines" in text
    assert len(server.requests[2]["body"]["messages"]) == 1, "a fresh conversation, not the old one"
    sessions = api.get(f"{agent}/sessions")
    assert [s["status"] for s in sessions] == ["completed", "completed"]
    relayed = api.get(f"{agent}/messages?sessionId={sessions[1]['id']}")
    assert [m["kind"] for m in relayed][:2] == ["notice", "user"]
    assert api.get(f"{cards_url(project)}/{card['id']}/prompt-preview")["user"].count("Earlier sessions") == 0

    backlog = api.post(cards_url(project), {"title": "Idle"}, expect=201)
    assert error_code(api, "POST", f"{cards_url(project)}/{backlog['id']}/agent/relay") == "not_active"


def test_summary_tells_the_cards_agent_work_from_the_records(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    idle = api.post(cards_url(project), {"title": "Untouched"}, expect=201)
    assert "No agent has worked on this card yet." in api.post(f"{cards_url(project)}/{idle['id']}/summary")["summary"]

    script = [
        [{"tool": "add_todo", "input": {"text": "write the docs"}},
         {"tool": "write_file", "input": {"path": "docs.md", "content": "# Docs\n\nHow to.\n"}}],
        [{"tool": "finish", "input": {"summary": "documented the API"}}],
    ]
    with fake_provider("anthropic", script) as (_server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(cards_url(project), {"title": "Docs", "columnId": columns["Implement"]["id"]}, expect=201)
        run_until_settled(app)

    summary = api.post(f"{cards_url(project)}/{card['id']}/summary")["summary"]
    assert summary.startswith("Docs (")
    for expected in ("1 agent session:", "1. Implement: completed (anthropic", "Summary: documented the API",
                     "1 file changed, +3 -0 lines", "Usage: 200 input and 40 output tokens",
                     "Todos: 1 open, 0 done", "- [ ] write the docs"):
        assert expected in summary, f"{expected!r} not in:\n{summary}"
