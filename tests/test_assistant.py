"""The project assistant through the API: a (fake) model whose tools change the board through the
same functions as people's requests, run by the real dispatcher."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from models import CardHistory, Event, ProjectMember
from tests.conftest import Api, Users
from tests.fake_providers import FakeServer, Reply, fake_provider
from tests.test_agent_endpoints import ticking
from tests.test_agent_runtime import credential, run_until_settled


class ConversingServer(FakeServer):
    """Plays the assistant's script, whose steps may be functions of the request (to answer with
    ids the tools made); any card agent's request gets `agent_reply`."""

    def __init__(self, script: list[Reply | Callable[[dict[str, Any]], Reply]], agent_reply: Reply) -> None:
        super().__init__([])
        self.steps, self.agent_reply = list(script), agent_reply

    def reply_for(self, body: dict[str, Any]) -> Reply:
        if "move_card" not in str(body.get("tools")):
            return self.agent_reply
        with self.lock:
            step = self.steps.pop(0) if self.steps else [{"text": "(script exhausted)"}]
        return step(body) if callable(step) else step


def last_tool_output(body: dict[str, Any]) -> Any:
    """The JSON output of the last tool result in an OpenAI chat request."""
    return json.loads(next(m for m in reversed(body["messages"]) if m["role"] == "tool")["content"])


def test_the_assistant_creates_a_card_and_moves_it_to_the_named_column(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/projects/{project['id']}"
    review = columns["Review"]["id"]
    script: list[Any] = [
        [{"tool": "list_columns", "input": {}}],
        [{"tool": "create_card", "input": {"title": "Write the docs", "prompt": "Document the API.",
                                           "priority": "high", "labels": ["docs"]}}],
        lambda body: [{"tool": "move_card", "input": {"cardId": last_tool_output(body)["id"], "columnId": review}}],
        [{"text": "Created 'Write the docs' and moved it to Review."}],
    ]
    server = ConversingServer(script, agent_reply=[{"text": "Reviewed: nothing to change."}])
    assert api.get(f"{base}/assistant") == {"sessionId": None, "status": "idle", "model": None, "error": None,
                                            "messages": []}
    with fake_provider("openai", [], state=server) as (_server, url):
        api.put(f"{base}/credential", {"credentialId": credential(api, "openai", url)})
        sent = api.post(f"{base}/assistant/message", {"content": "Add a high-priority docs card in Review."})
        assert sent["status"] == "queued" and sent["messages"][0]["text"].startswith("Add a high-priority")
        assert api.get(f"{base}/active-agents") == [], "the assistant is not a card's agent"
        run_until_settled(app)

    assistant_requests = [r for r in server.requests if "move_card" in str(r["body"]["tools"])]
    assert len(assistant_requests) == 4
    columns_seen = last_tool_output(assistant_requests[1]["body"])
    assert {c["name"] for c in columns_seen} >= {"Backlog", "Review", "Done"}
    made = [c for c in api.get(f"{base}/cards") if c["title"] == "Write the docs"]
    assert len(made) == 1 and made[0]["columnId"] == review
    card = api.get(f"{base}/cards/{made[0]['id']}")
    assert (card["prompt"], card["priority"], card["labels"]) == ("Document the API.", "high", ["docs"])

    state = api.get(f"{base}/assistant")
    assert state["status"] == "completed" and state["error"] is None
    assert state["messages"][-1]["text"] == "Created 'Write the docs' and moved it to Review."
    calls = [m["tool"]["name"] for m in state["messages"] if m["kind"] == "tool_call"]
    assert calls == ["list_columns", "create_card", "move_card"]
    assert not any(m["result"]["isError"] for m in state["messages"] if m["kind"] == "tool_result")
    with app.extensions["switchyard"].transaction() as db:
        events = [e.type for e in db.scalars(select(Event).where(Event.card_id == card["id"]).order_by(Event.id))]
        actors = {(h.action, h.actor_type) for h in db.scalars(select(CardHistory)
                                                               .where(CardHistory.card_id == card["id"]))}
    assert "card.created" in events and "card.moved" in events
    assert {("created", "agent"), ("moved", "agent")} <= actors
    # Review is an active column: the move started the card's own agent, a separate session.
    sessions = api.get(f"{base}/cards/{card['id']}/agent/sessions")
    assert [(s["columnId"], s["summary"]) for s in sessions] == [(review, "Reviewed: nothing to change.")]
    assert state["sessionId"] not in {s["id"] for s in sessions}


def test_a_tool_error_reaches_the_model_and_the_conversation_goes_on(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/projects/{project['id']}"
    script = [
        [{"tool": "create_card", "input": {"title": "Lost", "columnId": "col_nowhere"}}],
        [{"tool": "update_card", "input": {"cardId": "card_nowhere", "priority": "urgent"}}],
        [{"tool": "create_card", "input": {"title": "", "colour": "red"}}],
        [{"text": "That column does not exist; which one did you mean?"}],
        [{"text": "Then I will leave it."}],
    ]
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"{base}/credential", {"credentialId": credential(api, "anthropic", url)})
        api.post(f"{base}/assistant/message", {"content": "Put a card called Lost in column col_nowhere."})
        run_until_settled(app)
        state = api.get(f"{base}/assistant")
        assert state["status"] == "completed"
        api.post(f"{base}/assistant/message", {"content": "Never mind."})
        run_until_settled(app)

    results = [block for message in server.requests[3]["body"]["messages"] if message["role"] == "user"
               for block in message["content"] if block.get("type") == "tool_result"]
    assert [r["is_error"] for r in results] == [True, True, True]
    assert "column col_nowhere not found" in results[0]["content"]
    assert "card card_nowhere not found" in results[1]["content"]
    assert "title" in results[2]["content"] and "colour" in results[2]["content"]
    assert [c["title"] for c in api.get(f"{base}/cards")] == [], "no partial write"
    later = api.get(f"{base}/assistant")
    assert later["sessionId"] == state["sessionId"], "one conversation per project"
    assert later["messages"][-1]["text"] == "Then I will leave it."
    assert "That column does not exist" in str(server.requests[4]["body"]["messages"])


def test_viewers_read_the_assistant_but_may_not_message_it(app, api, project, users: Users) -> None:  # type: ignore[no-untyped-def]
    root = users.setup_admin()
    path = f"/api/projects/{project['id']}/assistant"
    users.enable_auth(root)
    token, user_id = users.register("viewer@example.com")
    with app.extensions["switchyard"].transaction() as db:
        db.add(ProjectMember(project_id=project["id"], user_id=user_id, role="viewer"))
    viewer = api.as_user(token)
    assert viewer.get(path)["status"] == "idle"
    viewer.post(f"{path}/message", {"content": "Make a card"}, expect=403)
    assert api.as_user(root).post(f"{path}/message", {"content": "Make a card"})["status"] == "queued"
    api.get(path, expect=401)
    api.as_user(root).post(f"{path}/message", {}, expect=400)
    api.as_user(root).get("/api/projects/proj_missing/assistant", expect=404)


def test_the_assistant_fails_clearly_without_a_credential(app, api: Api, project) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/projects/{project['id']}/assistant"
    api.post(f"{path}/message", {"content": "Hello?"})
    run_until_settled(app)
    state = api.get(path)
    assert (state["status"], state["error"]["code"]) == ("failed", "no_credential")
    assert state["error"]["message"].startswith("no credential found: checked the project, the organization")


class GatedServer(FakeServer):
    """Holds its first answer until the test opens the gate, so a message can arrive mid-answer."""

    def __init__(self, script: list[Reply]) -> None:
        super().__init__(script)
        self.asked, self.gate = threading.Event(), threading.Event()

    def reply_for(self, body: dict[str, Any]) -> Reply:
        if not self.asked.is_set():
            self.asked.set()
            assert self.gate.wait(10), "the test never opened the gate"
        return super().reply_for(body)


def test_a_message_sent_while_the_assistant_answers_is_answered_next(app, api, project) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/projects/{project['id']}"
    server = GatedServer([[{"text": "First answer."}], [{"text": "Second answer."}]])
    with fake_provider("anthropic", [], state=server) as (_server, url), ticking(app):
        api.put(f"{base}/credential", {"credentialId": credential(api, "anthropic", url)})
        api.post(f"{base}/assistant/message", {"content": "First question."})
        assert server.asked.wait(10)
        assert api.post(f"{base}/assistant/message", {"content": "Second question."})["status"] == "running"
        server.gate.set()
        deadline = time.monotonic() + 10
        while (state := api.get(f"{base}/assistant"))["status"] != "completed" or len(state["messages"]) < 4:
            assert time.monotonic() < deadline, f"no second answer: {state}"
            time.sleep(0.05)
    # Listed as they happened; sent to the model in conversation order.
    assert [(m["kind"], m["text"]) for m in state["messages"]] == [
        ("user", "First question."), ("user", "Second question."), ("assistant", "First answer."),
        ("assistant", "Second answer."),
    ]
    assert state["error"] is None
    conversation = [(m["role"], str(m["content"])) for m in server.requests[1]["body"]["messages"]]
    assert [role for role, _ in conversation] == ["user", "assistant", "user"]
    assert "First answer." in conversation[1][1] and "Second question." in conversation[2][1]
