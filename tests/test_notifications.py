"""`notification` events: published beside the change they report (a session's end, a plan, a
card waiting for approval, a comment), as the instance's notification settings choose."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import Event
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def notifications(app: Any) -> list[dict[str, Any]]:
    with app.extensions["switchyard"].transaction() as db:
        return [event.data for event in db.scalars(select(Event).where(Event.type == "notification")
                                                   .order_by(Event.id))]


def run_card(app: Any, api: Api, project: dict[str, Any], column_id: str, title: str, key: str) -> dict[str, Any]:
    script = [[{"tool": "finish", "input": {"summary": "done"}}]]
    with fake_provider("anthropic", script, key="sk-right") as (_server, base_url):
        api.put(f"/api/projects/{project['id']}/credential",
                {"credentialId": credential(api, "anthropic", base_url, key)})
        card = api.post(f"/api/projects/{project['id']}/cards", {"title": title, "columnId": column_id},
                        expect=201)
        run_until_settled(app)
    return card


def test_session_outcomes_notify(app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any]) -> None:
    done = run_card(app, api, project, columns["Implement"]["id"], "Works", "sk-right")
    failed = run_card(app, api, project, columns["Implement"]["id"], "Breaks", "sk-wrong")
    sent = notifications(app)
    assert [(n["kind"], n["cardId"]) for n in sent] == [("sessionCompleted", done["id"]),
                                                         ("sessionFailed", failed["id"])]
    assert sent[0]["title"] == f"{done['shortId']} Works" and sent[0]["sessionId"]
    assert "failed" in sent[1]["message"] and "key" in sent[1]["message"].lower()


def test_settings_choose_which_notifications_are_sent(app: Any, api: Api, project: dict[str, Any],
                                                      columns: dict[str, Any]) -> None:
    api.put("/api/settings/notifications", {"events": {"sessionCompleted": False}})
    card = run_card(app, api, project, columns["Implement"]["id"], "Quiet", "sk-right")
    comments = f"/api/projects/{project['id']}/cards/{card['id']}/comments"
    api.post(comments, {"body": "Looks good to me"}, expect=201)
    assert [n["kind"] for n in notifications(app)] == ["commentAdded"]
    assert "Looks good to me" in notifications(app)[0]["message"]
    api.put("/api/settings/notifications", {"enabled": False})
    api.post(comments, {"body": "Nobody hears this"}, expect=201)
    assert len(notifications(app)) == 1
