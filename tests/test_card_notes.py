"""Comments and todos on a card, from people through the API and from agents through tools."""

from __future__ import annotations

from sqlalchemy import select

from models import Event
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def test_comments_are_listed_in_order_with_their_author(api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Discuss"}, expect=201)
    base = f"/api/projects/{project['id']}/cards/{card['id']}/comments"
    first = api.post(base, {"body": "First thought"}, expect=201)
    api.post(base, {"body": "Second thought"}, expect=201)
    assert first["authorType"] == "user" and first["id"].startswith("cmt_")
    assert [c["body"] for c in api.get(base)] == ["First thought", "Second thought"]
    api.post(base, {"body": "   "}, expect=400)
    api.post(f"/api/projects/{project['id']}/cards/card_unknown/comments", {"body": "x"}, expect=404)


def test_todos_can_be_added_completed_renamed_and_deleted(app, api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Plan work"}, expect=201)
    base = f"/api/projects/{project['id']}/cards/{card['id']}/todos"
    one = api.post(base, {"text": "write tests"}, expect=201)
    two = api.post(base, {"text": "fix bug"}, expect=201)
    assert [t["position"] for t in (one, two)] == [0, 1]
    done = api.patch(f"{base}/{one['id']}", {"done": True})
    assert done["done"] and done["completedAt"]
    assert api.patch(f"{base}/{two['id']}", {"text": "fix the bug"})["text"] == "fix the bug"
    api.delete(f"{base}/{two['id']}")
    assert [(t["text"], t["done"]) for t in api.get(base)] == [("write tests", True)]
    api.patch(f"{base}/todo_unknown", {"done": True}, expect=404)
    with app.extensions["switchyard"].transaction() as db:
        types = db.scalars(select(Event.type).where(Event.card_id == card["id"])).all()
    assert {"todo.created", "todo.updated", "todo.deleted"} <= set(types)


def test_agents_add_todos_and_comments_that_people_see(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    script = [
        [{"tool": "add_todo", "input": {"text": "read the code"}},
         {"tool": "add_comment", "input": {"body": "Starting now."}}],
        [{"tool": "complete_todo", "input": {"id": "todo_not_mine"}}],
        [{"tool": "finish", "input": {"summary": "noted"}}],
    ]
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Note it", "columnId": columns["Implement"]["id"]},
                        expect=201)
        run_until_settled(app)
    base = f"/api/projects/{project['id']}/cards/{card['id']}"
    assert [t["text"] for t in api.get(f"{base}/todos")] == ["read the code"]
    comments = api.get(f"{base}/comments")
    assert [(c["body"], c["authorType"]) for c in comments] == [("Starting now.", "agent")]
    messages = api.get(f"{base}/agent/messages")
    call = next(m for m in messages if m["kind"] == "tool_call" and m["tool"]["name"] == "complete_todo")
    result = next(m for m in messages if m["kind"] == "tool_result" and m["result"]["callId"] == call["tool"]["callId"])
    assert result["result"]["isError"] and "todo_not_mine" in result["text"]
    todo_id = api.get(f"{base}/todos")[0]["id"]
    assert f"todo {todo_id} added" in str(server.requests[1]["body"]["messages"]), "the agent learns the todo id"
