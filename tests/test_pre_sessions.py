"""Pre-sessions through the API: a conversation with a (fake) model that refines a card's prompt,
run by the real dispatcher; accepting writes the proposed prompt to the card."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import CardHistory, Event, ProjectMember
from tests.conftest import Api, Users
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def _start(api: Api, project: dict[str, Any], card: dict[str, Any]) -> tuple[dict[str, Any], str]:
    pre = api.post(f"/api/projects/{project['id']}/pre-session", {"cardId": card["id"]}, expect=201)
    return pre, f"/api/projects/{project['id']}/pre-session/{pre['id']}"


def test_a_proposed_prompt_is_refined_in_conversation_and_accepted_into_the_card(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    refined = "Add hello.txt at the repository root containing the line `hi`, and a test that reads it."
    script = [
        [{"text": "What should the greeting say?"}],
        [{"text": "Here is a prompt."}, {"tool": "propose_prompt", "input": {"prompt": refined}}],
        [{"text": "Proposed: accept it if it reads right."}],
    ]
    base = f"/api/projects/{project['id']}"
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"{base}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(f"{base}/cards", {"title": "Greet", "prompt": "say hello"}, expect=201)
        pre, path = _start(api, project, card)
        assert (pre["status"], pre["agentStatus"], pre["cardId"]) == ("open", "queued", card["id"])
        # A chat is no card session: the card's agent endpoints do not show it.
        api.get(f"{base}/cards/{card['id']}/agent", expect=404)
        assert api.get(f"{base}/cards/{card['id']}/agent/sessions") == []
        assert api.get(f"{base}/active-agents") == []

        run_until_settled(app)
        first = api.get(f"{path}/messages")
        assert (first["agentStatus"], first["refinedPrompt"]) == ("completed", None)
        assert [m["kind"] for m in first["messages"]] == ["user", "assistant"]
        opening = first["messages"][0]["text"]
        assert "Greet" in opening and "say hello" in opening and "Backlog" in opening
        assert first["messages"][1]["text"] == "What should the greeting say?"
        assert {t["name"] for t in server.requests[0]["body"]["tools"]} == {"propose_prompt"}
        api.post(f"{path}/accept", expect=409)  # nothing proposed yet

        sent = api.post(f"{path}/message", {"content": "It should say hi."})
        assert sent["agentStatus"] == "queued"
        run_until_settled(app)

    second = server.requests[1]["body"]["messages"]
    assert "What should the greeting say?" in str(second), "the conversation continues"
    assert second[-1]["content"][-1]["text"] == "It should say hi."
    shown = api.get(f"{path}/messages")
    assert (shown["status"], shown["agentStatus"], shown["refinedPrompt"]) == ("open", "completed", refined)
    call = next(m for m in shown["messages"] if m["kind"] == "tool_call")
    assert call["tool"] == {"callId": call["tool"]["callId"], "name": "propose_prompt", "input": {"prompt": refined}}
    assert shown["messages"][-1]["text"] == "Proposed: accept it if it reads right."

    accepted = api.post(f"{path}/accept")
    assert accepted["status"] == "accepted"
    assert api.get(f"{base}/cards/{card['id']}")["prompt"] == refined
    with app.extensions["switchyard"].transaction() as db:  # no API lists history or events yet
        history = db.scalars(select(CardHistory).where(CardHistory.card_id == card["id"])).all()
        updated = db.scalars(select(Event).where(Event.card_id == card["id"], Event.type == "card.updated")).all()
    change = next(h for h in history if h.action == "updated")
    assert change.changes["prompt"] == {"before": "say hello", "after": refined}
    assert updated and "prompt" in updated[-1].data["changed"]

    for action, body in (("accept", None), ("cancel", None), ("message", {"content": "more"})):
        error = api.post(f"{path}/{action}", body, expect=409)
        assert error["error"]["code"] == "pre_session_closed"
    assert api.get(f"{base}/cards/{card['id']}/agent/sessions") == []


def test_cancel_ends_the_conversation_and_closes_the_pre_session(api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Draft"}, expect=201)
    _pre, path = _start(api, project, card)
    cancelled = api.post(f"{path}/cancel")
    assert (cancelled["status"], cancelled["agentStatus"]) == ("cancelled", "cancelled")
    assert api.post(f"{path}/accept", expect=409)["error"]["code"] == "pre_session_closed"
    assert api.get(f"{path}/messages")["status"] == "cancelled"
    assert api.get(f"/api/projects/{project['id']}/cards/{card['id']}")["prompt"] == ""


def test_accept_without_a_proposal_is_a_conflict(api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Draft"}, expect=201)
    _pre, path = _start(api, project, card)
    assert api.post(f"{path}/accept", expect=409)["error"]["code"] == "no_refined_prompt"


def test_bad_references_and_bodies(api, project) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/projects/{project['id']}/pre-session"
    assert api.post(base, {"cardId": "card_missing"}, expect=404)["error"]["code"] == "not_found"
    assert "cardId" in api.post(base, {}, expect=400)["error"]["message"]
    for action in ("accept", "cancel"):
        api.post(f"{base}/pre_missing/{action}", expect=404)
    api.get(f"{base}/pre_missing/messages", expect=404)
    api.post("/api/projects/proj_missing/pre-session", {"cardId": "card_x"}, expect=404)
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Draft"}, expect=201)
    _pre, path = _start(api, project, card)
    assert "content" in api.post(f"{path}/message", {"content": ""}, expect=400)["error"]["message"]
    unknown = api.post(f"{path}/message", {"content": "/no-such-command now"}, expect=400)
    assert unknown["error"]["code"] == "unknown_command"


def test_a_session_without_a_credential_fails_naming_the_levels_and_a_message_retries_it(app, api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Draft"}, expect=201)
    _pre, path = _start(api, project, card)
    run_until_settled(app)
    failed = api.get(f"{path}/messages")
    assert (failed["agentStatus"], failed["error"]["code"]) == ("failed", "no_credential")
    assert "the card, the column, the project" in failed["error"]["message"]
    with fake_provider("openai", [[{"text": "Now I can help."}]]) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "openai", url)})
        api.post(f"{path}/message", {"content": "Try again."})
        run_until_settled(app)
    answered = api.get(f"{path}/messages")
    assert (answered["agentStatus"], answered["error"]) == ("completed", None)
    assert answered["messages"][-1]["text"] == "Now I can help."
    sent = [m["content"] for m in server.requests[0]["body"]["messages"] if m["role"] == "user"]
    assert "Draft" in sent[0] and sent[-1] == "Try again."


def test_viewers_read_a_pre_session_but_may_not_start_or_steer_one(app, api, project, users: Users) -> None:  # type: ignore[no-untyped-def]
    root = users.setup_admin()
    owner = api.as_user(root)
    card = owner.post(f"/api/projects/{project['id']}/cards", {"title": "Draft"}, expect=201)
    _pre, path = _start(owner, project, card)
    users.enable_auth(root)
    token, user_id = users.register("viewer@example.com")
    with app.extensions["switchyard"].transaction() as db:
        db.add(ProjectMember(project_id=project["id"], user_id=user_id, role="viewer"))
    viewer = api.as_user(token)
    assert viewer.get(f"{path}/messages")["status"] == "open"
    viewer.post(f"/api/projects/{project['id']}/pre-session", {"cardId": card["id"]}, expect=403)
    for action, body in (("message", {"content": "hi"}), ("accept", None), ("cancel", None)):
        viewer.post(f"{path}/{action}", body, expect=403)
    api.get(f"{path}/messages", expect=401)
