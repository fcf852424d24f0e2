"""The agent runtime end to end: a card moved into an active column runs an agent session in its
own worktree against a fake provider (the real SDKs over loopback HTTP), is recorded, and auto
mode carries it through its pipeline."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from models import AgentMessage, AgentSession, Card, Turn
from orchestrator.dispatcher import Dispatcher
from tests.conftest import Api, git
from tests.fake_providers import fake_provider

IDLE = ("queued", "starting", "running")


def run_until_settled(app: Any, timeout: float = 30.0) -> Dispatcher:
    """Tick the real dispatcher until no session is waiting or running and outcomes are applied."""
    dispatcher = Dispatcher(app.extensions["switchyard"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatcher.tick()
        with app.extensions["switchyard"].transaction() as db:
            busy = db.scalar(select(AgentSession.id).where(
                (AgentSession.status.in_(IDLE)) |
                ((AgentSession.status == "completed") & AgentSession.outcome_applied.is_(False))).limit(1))
        if busy is None:
            dispatcher.backend.shutdown()
            return dispatcher
        time.sleep(0.05)
    raise AssertionError("sessions did not settle")


def credential(api: Api, provider: str, base_url: str, key: str = "sk-test-key") -> str:
    return api.post("/api/credentials", {"name": provider, "provider": provider, "apiKey": key, "baseUrl": base_url},
                    expect=201)["id"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_card_runs_through_implement_and_review_to_done(app, api, project, columns, provider) -> None:  # type: ignore[no-untyped-def]
    script = [
        [{"text": "I will add the greeting."}, {"tool": "write_file", "input": {"path": "hello.txt", "content": "hi\n"}}],
        [{"tool": "finish", "input": {"summary": "added hello.txt"}}],
        [{"text": "Reviewed: fine."}],
    ]
    with fake_provider(provider, script) as (server, base_url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, provider, base_url)})
        card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Say hello"}, expect=201)
        api.patch(f"/api/projects/{project['id']}/cards/{card['id']}/auto-mode", {"enabled": True})
        api.patch(f"/api/projects/{project['id']}/cards/{card['id']}/move", {"columnId": columns["Implement"]["id"]})
        run_until_settled(app)

    final = api.get(f"/api/projects/{project['id']}/cards/{card['id']}")
    assert final["columnId"] == columns["Done"]["id"]
    assert final["completedAt"] is not None
    assert final["usage"]["inputTokens"] > 0 and final["usage"]["costKnown"] is False

    worktree = final["worktreePath"]
    assert open(f"{worktree}/hello.txt").read() == "hi\n"
    assert final["branch"].startswith(f"switchyard/{final['shortId']}-say-hello")
    assert git(project_path(project), "status", "--porcelain") == ""  # the project's checkout untouched
    log = git(project_path(project), "log", "--format=%s", final["branch"])
    assert "Implement: Say hello" in log

    diff = api.get(f"/api/projects/{project['id']}/cards/{card['id']}/diff")
    assert diff["stats"] == {"filesChanged": 1, "insertions": 1, "deletions": 0}
    assert "b/hello.txt" in diff["diff"]

    review_request = server.requests[2]["body"]
    review_text = str(review_request["messages"])
    assert "Implement: added hello.txt" in review_text, "the review stage sees the previous summary"
    sent = {name.lower(): value for name, value in server.requests[0]["headers"].items()}
    assert "sk-test-key" in sent.get("x-api-key", "") + sent.get("authorization", "")

    with app.extensions["switchyard"].transaction() as db:
        sessions = db.scalars(select(AgentSession).where(AgentSession.card_id == card["id"])
                              .order_by(AgentSession.queued_at)).all()
        assert [(s.column_id, s.status) for s in sessions] == [
            (columns["Implement"]["id"], "completed"), (columns["Review"]["id"], "completed")]
        first = sessions[0]
        kinds = db.scalars(select(AgentMessage.kind).where(AgentMessage.session_id == first.id)
                           .order_by(AgentMessage.seq)).all()
        assert kinds == ["user", "assistant", "tool_call", "tool_result", "tool_call", "tool_result"]
        turns = db.scalars(select(Turn).where(Turn.session_id == first.id)).all()
        assert [t.source for t in turns] == [f"switchyard:{provider}"] * 2
        assert first.summary == "added hello.txt" and first.diff_stats["filesChanged"] == 1
        assert first.head_commit and first.base_commit != first.head_commit


def project_path(project: dict[str, Any]) -> str:
    return project["path"]


def test_no_credential_fails_the_session_naming_the_levels(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Nothing to run with"}, expect=201)
    api.patch(f"/api/projects/{project['id']}/cards/{card['id']}/move", {"columnId": columns["Implement"]["id"]})
    run_until_settled(app)
    with app.extensions["switchyard"].transaction() as db:
        row = db.scalar(select(AgentSession).where(AgentSession.card_id == card["id"]))
        assert row.status == "failed" and row.error_code == "no_credential"
        for level in ("card", "column", "project", "organization", "ANTHROPIC_API_KEY"):
            assert level in row.error_message
        assert db.get(Card, card["id"]).column_id == columns["Implement"]["id"]


def test_a_rejected_key_fails_at_once_without_retrying(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    with fake_provider("anthropic", [[{"text": "never"}]]) as (server, base_url):
        cred = credential(api, "anthropic", base_url, key="sk-wrong")
        card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Bad key"}, expect=201)
        api.put(f"/api/projects/{project['id']}/cards/{card['id']}/credential", {"credentialId": cred})
        api.patch(f"/api/projects/{project['id']}/cards/{card['id']}/move", {"columnId": columns["Implement"]["id"]})
        run_until_settled(app)
        assert len(server.requests) == 1
    with app.extensions["switchyard"].transaction() as db:
        row = db.scalar(select(AgentSession).where(AgentSession.card_id == card["id"]))
        assert (row.status, row.error_code) == ("failed", "bad_key")
