"""The human gates through the API: plan approval both ways, cancel, messages, retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestrator.dispatcher import Dispatcher
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


@contextmanager
def ticking(app: Any) -> Iterator[Dispatcher]:
    """The real dispatcher ticking in the background, as the scheduler does."""
    dispatcher = Dispatcher(app.extensions["switchyard"])
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            dispatcher.tick()
            time.sleep(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield dispatcher
    finally:
        stop.set()
        thread.join(5)
        dispatcher.backend.cancel_all()
        dispatcher.backend.shutdown()


def wait_for(api: Api, path: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        agent = api.get(path)
        if agent["status"] == status:
            return agent
        time.sleep(0.05)
    raise AssertionError(f"agent did not reach {status}; last: {agent['status']}")


def wait_for_tool_call(api: Api, agent_path: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(m["kind"] == "tool_call" for m in api.get(f"{agent_path}/messages")):
        assert time.monotonic() < deadline, "the agent never called a tool"
        time.sleep(0.05)


def tool_names(request: dict[str, Any]) -> set[str]:
    return {tool["name"] for tool in request["body"]["tools"]}


def test_plan_is_rejected_with_feedback_then_approved_and_implemented(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    script = [
        [{"tool": "submit_plan", "input": {"plan": "Add hello.txt"}}],
        [{"tool": "submit_plan", "input": {"plan": "Add hello.txt and bye.txt"}}],
        [{"tool": "write_file", "input": {"path": "hello.txt", "content": "hi\n"}}],
        [{"tool": "finish", "input": {"summary": "implemented the plan"}}],
    ]
    base = f"/api/projects/{project['id']}/cards"
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(f"{base}", {"title": "Greet", "columnId": columns["Plan"]["id"]}, expect=201)
        agent_path = f"{base}/{card['id']}/agent"
        run_until_settled(app)
        waiting = api.get(agent_path)
        assert (waiting["status"], waiting["plan"]) == ("awaiting_plan_approval", "Add hello.txt")
        assert "write_file" not in tool_names(server.requests[0]), "planning offers no file-writing tools"

        api.post(f"{agent_path}/plan-approve", {"approved": False}, expect=400)  # feedback is required
        api.post(f"{agent_path}/plan-approve", {"approved": False, "feedback": "also add bye.txt"})
        run_until_settled(app)
        assert api.get(agent_path)["plan"] == "Add hello.txt and bye.txt"
        assert "also add bye.txt" in str(server.requests[1]["body"]["messages"])

        decided = api.post(f"{agent_path}/plan-approve", {"approved": True})
        assert decided["status"] == "queued"
        run_until_settled(app)
        assert {"write_file", "edit_file"} <= tool_names(server.requests[2])
        api.post(f"{agent_path}/plan-approve", {"approved": True}, expect=409)  # nothing waits now

    done = api.get(agent_path)
    assert (done["status"], done["summary"]) == ("completed", "implemented the plan")
    assert open(f"{done['worktreePath']}/hello.txt").read() == "hi\n"
    messages = api.get(f"{agent_path}/messages")
    assert [m["kind"] for m in messages].count("plan") == 2
    assert messages[0]["kind"] == "user" and messages[0]["text"].startswith("# Greet")
    call = next(m for m in messages if m["kind"] == "tool_call" and m["tool"]["name"] == "write_file")
    assert call["tool"]["input"] == {"path": "hello.txt", "content": "hi\n"}
    assert len(api.get(f"{agent_path}/sessions")) == 1


def test_cancel_during_a_long_command_stops_the_session_and_its_process(app, api, project, columns, tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "survived"
    script = [[{"tool": "run_command", "input": {"command": f"sleep 20; touch {marker}", "timeout": 60}}]]
    base = f"/api/projects/{project['id']}/cards"
    with fake_provider("openai", script) as (_server, url), ticking(app):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "openai", url)})
        card = api.post(base, {"title": "Slow", "columnId": columns["Implement"]["id"]}, expect=201)
        agent_path = f"{base}/{card['id']}/agent"
        wait_for_tool_call(api, agent_path)
        time.sleep(0.3)  # the command is now running
        started = time.monotonic()
        api.post(f"{agent_path}/cancel", expect=204)
        cancelled = wait_for(api, agent_path, "cancelled", timeout=10)
        assert time.monotonic() - started < 10
    assert cancelled["endedAt"] is not None
    result = [m for m in api.get(f"{agent_path}/messages") if m["kind"] == "tool_result"]
    assert result and result[0]["result"]["isError"] and "cancelled" in result[0]["text"]
    time.sleep(0.5)
    assert not marker.exists()
    api.post(f"{agent_path}/cancel", expect=409)  # nothing left to cancel


def test_a_message_continues_an_ended_session_and_retry_reruns_a_failed_one(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    script = [[{"text": "First answer."}], [{"text": "Second answer, about the follow-up."}]]
    base = f"/api/projects/{project['id']}/cards"
    with fake_provider("anthropic", script) as (server, url):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(base, {"title": "Talk", "columnId": columns["Implement"]["id"]}, expect=201)
        agent_path = f"{base}/{card['id']}/agent"
        run_until_settled(app)
        assert api.get(agent_path)["summary"] == "First answer."
        api.post(f"{agent_path}/message", {"content": "And the follow-up?"})
        run_until_settled(app)
        assert api.get(agent_path)["summary"] == "Second answer, about the follow-up."
        second = server.requests[1]["body"]["messages"]
        assert second[-1]["content"][-1]["text"] == "And the follow-up?"
        assert "First answer." in str(second), "the continued session keeps its conversation"
        api.post(f"{agent_path}/retry", expect=409)  # a completed session is not retried
    api.post(f"{agent_path}/message", {"content": ""}, expect=400)
    active = api.get(f"/api/projects/{project['id']}/active-agents")
    assert active == []


def test_agent_endpoints_for_a_card_without_sessions(api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Idle"}, expect=201)
    agent_path = f"/api/projects/{project['id']}/cards/{card['id']}/agent"
    api.get(agent_path, expect=404)
    assert api.get(f"{agent_path}/sessions") == [] and api.get(f"{agent_path}/messages") == []
    for action in ("cancel", "retry"):
        api.post(f"{agent_path}/{action}", expect=409)
    api.post(f"{agent_path}/relaunch", expect=409)  # a backlog card starts nothing


def test_moving_a_card_on_cancels_the_running_stage_and_starts_the_next(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    script = [[{"tool": "run_command", "input": {"command": "sleep 20", "timeout": 60}}], [{"text": "Reviewed."}]]
    base = f"/api/projects/{project['id']}/cards"
    with fake_provider("anthropic", script) as (_server, url), ticking(app):
        api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", url)})
        card = api.post(base, {"title": "Hurry", "columnId": columns["Implement"]["id"]}, expect=201)
        agent_path = f"{base}/{card['id']}/agent"
        wait_for_tool_call(api, agent_path)
        api.patch(f"{base}/{card['id']}/move", {"columnId": columns["Review"]["id"]})
        reviewed = wait_for(api, agent_path, "completed", timeout=20)
    sessions = api.get(f"{agent_path}/sessions")
    assert [(s["columnId"], s["status"]) for s in sessions] == [
        (columns["Implement"]["id"], "cancelled"), (columns["Review"]["id"], "completed")]
    assert reviewed["summary"] == "Reviewed."


def test_prompt_preview_shows_what_a_stage_would_send(api, project, columns) -> None:  # type: ignore[no-untyped-def]
    api.patch(f"/api/projects/{project['id']}/columns/{columns['Implement']['id']}",
              {"prompt": "Implement {{ card.title }} carefully ({{ card.priority }})."})
    card = api.post(f"/api/projects/{project['id']}/cards",
                    {"title": "Fix login", "prompt": "The form rejects valid emails.", "priority": "high"}, expect=201)
    base = f"/api/projects/{project['id']}/cards/{card['id']}/prompt-preview"
    preview = api.get(f"{base}?columnId={columns['Implement']['id']}")
    assert "Implement Fix login carefully (high)." in preview["system"]
    assert "This stage is planning" not in preview["system"]
    assert preview["user"].startswith("# Fix login\n\nThe form rejects valid emails.")
    plan = api.get(f"{base}?columnId={columns['Plan']['id']}")
    assert "This stage is planning" in plan["system"]
    api.get(f"{base}?columnId=col_unknown", expect=404)
