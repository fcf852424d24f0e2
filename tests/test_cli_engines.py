"""The CLI engines end to end: fake `claude` and `codex` executables (tests/fakes) that print the
real event formats run in the card's worktree; their events become the session's messages and
turns, the provider key reaches the provider only through the loopback proxy, and cancel, plan
mode and a missing CLI behave as they do for the API engines."""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from models import Turn
from orchestrator.config import Settings, load_settings
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_endpoints import ticking, wait_for, wait_for_tool_call
from tests.test_agent_runtime import credential, run_until_settled
from workers.key_proxy import KeyProxy

FAKES = Path(__file__).parent / "fakes"
REAL_KEY = "sk-test-key"


@pytest.fixture
def cli_commands() -> dict[str, str]:
    return {"claude": str(FAKES / "claude"), "codex": str(FAKES / "codex")}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, cli_commands: dict[str, str]) -> Settings:
    """The usual test settings, with the CLI commands pointing at the fakes."""
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url,
        "agents.claude_command": shlex.quote(cli_commands["claude"]),
        "agents.codex_command": shlex.quote(cli_commands["codex"]),
    })


def start_card(api: Api, project: dict[str, Any], column_id: str, provider: str, base_url: str,
               title: str, *directives: str) -> str:
    """A card in `column_id` whose credential is the CLI `provider`; returns its agent path."""
    api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, provider, base_url)})
    prompt = "\n".join(f"fake: {d}" for d in directives)
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": title, "prompt": prompt, "columnId": column_id},
                    expect=201)
    return f"/api/projects/{project['id']}/cards/{card['id']}/agent"


def calls(dump: Path, kind: str = "start") -> list[dict[str, Any]]:
    """What the fake CLI recorded about each of its runs."""
    return [r for r in map(json.loads, dump.read_text().splitlines()) if r["kind"] == kind]


def turns(app: Any, session_id: str) -> list[dict[str, Any]]:
    """The session's recorded turns (no endpoint of this API lists them), oldest first."""
    with app.extensions["switchyard"].transaction() as db:
        found = db.scalars(select(Turn).where(Turn.session_id == session_id).order_by(Turn.source_id)).all()
        return [{"source": t.source, "model": t.model, "content": t.content, "tokens": (
            t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_write_tokens)} for t in found]


def test_claude_code_runs_in_the_worktree_and_reaches_the_provider_only_through_the_proxy(  # type: ignore[no-untyped-def]
        app, api, project, columns, tmp_path) -> None:
    dump = tmp_path / "claude-runs.jsonl"
    with fake_provider("anthropic", [[{"text": "Hello through the proxy."}]], key=REAL_KEY) as (server, url):
        agent_path = start_card(api, project, columns["Implement"]["id"], "claude-code", url, "Say hello",
                                "write hello.txt hi", "call-provider", f"dump {dump}")
        run_until_settled(app)

    agent = api.get(agent_path)
    assert (agent["status"], agent["engine"], agent["error"]) == ("completed", "claude-code", None)
    assert agent["summary"] == "Done: hello.txt"
    assert agent["usage"]["cacheReadTokens"] == 50 + 100 and agent["usage"]["cacheWriteTokens"] == 10 + 20
    assert agent["usage"]["costKnown"] is True and agent["usage"]["costUsd"] > 0

    messages = api.get(f"{agent_path}/messages")
    assert [m["kind"] for m in messages] == ["user", "assistant", "tool_call", "tool_result", "assistant"]
    assert messages[0]["text"].startswith("# Say hello")
    assert messages[1]["text"] == "Hello through the proxy."  # the provider's answer, streamed via the proxy
    call, result = messages[2], messages[3]
    assert call["tool"]["name"] == "Write" and call["tool"]["input"] == {"file_path": "hello.txt", "content": "hi\n"}
    assert result["result"]["callId"] == call["tool"]["callId"] and result["result"]["isError"] is False

    recorded = turns(app, agent["id"])
    assert [t["source"] for t in recorded] == ["switchyard:claude-code"] * 2
    # one turn per assistant message, though the CLI printed the first one's usage twice
    assert [t["tokens"] for t in recorded] == [(100, 20, 50, 10), (10, 5, 100, 20)]
    assert recorded[0]["model"] == "claude-sonnet-4-5-20250929"

    diff = api.get(f"{agent_path.removesuffix('/agent')}/diff")
    assert diff["stats"] == {"filesChanged": 1, "insertions": 1, "deletions": 0}
    assert "b/hello.txt" in diff["diff"]

    sent = {name.lower(): value for name, value in server.requests[0]["headers"].items()}
    assert sent["x-api-key"] == REAL_KEY, "the proxy put the real key on the request"
    run = calls(dump)[0]
    assert REAL_KEY not in json.dumps(run), "neither the CLI's environment, argv nor prompt holds the key"
    assert run["env"]["ANTHROPIC_API_KEY"].startswith("switchyard-proxy-")
    assert run["cwd"] == agent["worktreePath"]
    assert not run["env"]["HOME"].startswith(agent["worktreePath"]), "the CLI's home stays out of the worktree"
    argv = run["argv"][1:]
    assert argv[:4] == ["-p", "--output-format", "stream-json", "--verbose"]
    assert argv[argv.index("--permission-mode") + 1] == "acceptEdits" and "--resume" not in argv
    assert run["prompt"].startswith("# Say hello")
    with pytest.raises(requests.ConnectionError):  # the proxy stopped with the session
        requests.post(f"{run['env']['ANTHROPIC_BASE_URL']}/v1/messages", timeout=2)


def test_codex_records_its_items_and_a_message_resumes_its_thread(app, api, project, columns, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "codex-runs.jsonl"
    with fake_provider("openai", [[{"text": "Hi from the model."}]], key=REAL_KEY) as (server, url):
        agent_path = start_card(api, project, columns["Implement"]["id"], "codex", url, "Take notes",
                                "write notes.md codex was here", "call-provider", f"dump {dump}")
        run_until_settled(app)
        assert api.get(agent_path)["summary"] == "Created the files."
        api.post(f"{agent_path}/message", {"content": "What did you change?"})
        run_until_settled(app)
        assert server.requests[0]["headers"]["Authorization"] == f"Bearer {REAL_KEY}"

    agent = api.get(agent_path)
    assert (agent["status"], agent["summary"]) == ("completed", "Answered: What did you change?")
    messages = api.get(f"{agent_path}/messages")
    assert [m["kind"] for m in messages] == [
        "user", "assistant", "tool_call", "tool_result", "tool_call", "tool_result", "assistant",
        "user", "assistant"]
    assert messages[1]["text"] == "Hi from the model."
    assert messages[2]["tool"]["name"] == "file_change" and messages[3]["text"] == "add notes.md"
    assert messages[4]["tool"]["input"] == {"command": "bash -lc ls"} and "notes.md" in messages[5]["text"]
    assert messages[7]["text"] == "What did you change?"

    # codex reports the thread's running total: each turn records only what it added
    recorded = turns(app, agent["id"])
    assert [t["tokens"] for t in recorded] == [(800, 100, 200, 0)] * 2
    assert recorded[1]["content"] == "Answered: What did you change?"

    first, second = calls(dump)
    assert "resume" not in first["argv"] and "workspace-write" in first["argv"]
    thread_id = second["argv"][second["argv"].index("resume") + 1]
    assert thread_id and second["prompt"] == "What did you change?"
    assert REAL_KEY not in json.dumps([first, second])
    assert first["env"]["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert open(f"{agent['worktreePath']}/notes.md").read() == "codex was here\n"


def test_claude_code_plan_waits_for_approval_and_approval_resumes_its_session(  # type: ignore[no-untyped-def]
        app, api, project, columns, tmp_path) -> None:
    dump = tmp_path / "claude-runs.jsonl"
    agent_path = start_card(api, project, columns["Plan"]["id"], "claude-code", "http://127.0.0.1:9", "Greet",
                            "plan Add hello.txt with a greeting", "write hello.txt hello", f"dump {dump}")
    run_until_settled(app)
    waiting = api.get(agent_path)
    assert (waiting["status"], waiting["plan"]) == ("awaiting_plan_approval", "Add hello.txt with a greeting")
    assert not os.path.exists(f"{waiting['worktreePath']}/hello.txt"), "planning changed nothing"
    plan_messages = [m for m in api.get(f"{agent_path}/messages") if m["kind"] == "plan"]
    assert [m["text"] for m in plan_messages] == ["Add hello.txt with a greeting"]

    api.post(f"{agent_path}/plan-approve", {"approved": False, "feedback": "greet the world"})
    run_until_settled(app)
    assert api.get(agent_path)["status"] == "awaiting_plan_approval"
    api.post(f"{agent_path}/plan-approve", {"approved": True})
    run_until_settled(app)
    done = api.get(agent_path)
    assert done["status"] == "completed" and done["summary"].startswith("Done: hello.txt")
    assert open(f"{done['worktreePath']}/hello.txt").read() == "hello\n"

    planning, revising, implementing = calls(dump)
    plan_argv, resume_argv = planning["argv"], implementing["argv"]
    assert plan_argv[plan_argv.index("--permission-mode") + 1] == "plan" and "--resume" not in plan_argv
    revise_argv = revising["argv"]
    assert "greet the world" in revising["prompt"]
    assert revise_argv[revise_argv.index("--permission-mode") + 1] == "plan", "a rejected plan is revised in plan mode"
    assert resume_argv[resume_argv.index("--permission-mode") + 1] == "acceptEdits"
    session_id = resume_argv[resume_argv.index("--resume") + 1]
    assert revise_argv[revise_argv.index("--resume") + 1] == session_id
    assert (Path(planning["env"]["HOME"]) / ".fake-claude" / f"{session_id}.json").exists(), \
        "approval resumed the CLI session that made the plan"
    assert implementing["prompt"].startswith("The plan is approved.")
    assert len(api.get(f"{agent_path}/sessions")) == 1


@pytest.mark.parametrize("provider", ["claude-code", "codex"])
def test_cancel_during_a_long_command_kills_the_cli_and_its_children(  # type: ignore[no-untyped-def]
        app, api, project, columns, tmp_path, provider) -> None:
    dump = tmp_path / "runs.jsonl"
    with ticking(app):
        agent_path = start_card(api, project, columns["Implement"]["id"], provider, "http://127.0.0.1:9", "Slow",
                                "sleep 60", f"dump {dump}")
        wait_for_tool_call(api, agent_path)
        deadline = time.monotonic() + 10
        while not dump.exists() or not calls(dump, "sleeping"):
            assert time.monotonic() < deadline, "the fake never started its long command"
            time.sleep(0.05)
        started = time.monotonic()
        api.post(f"{agent_path}/cancel", expect=204)
        cancelled = wait_for(api, agent_path, "cancelled", timeout=10)
        assert time.monotonic() - started < 10
    assert cancelled["endedAt"] is not None
    result = [m for m in api.get(f"{agent_path}/messages") if m["kind"] == "tool_result"][-1]
    assert result["result"]["isError"] and "cancelled" in result["text"]
    sleeping = calls(dump, "sleeping")[0]
    for pid in (sleeping["pid"], sleeping["child"]):
        assert not alive(pid), f"process {pid} outlived the cancel"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its parent counts as gone
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_a_cli_session_stops_at_its_columns_budget(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    api.patch(f"/api/projects/{project['id']}/columns/{columns['Implement']['id']}", {"budgetUsd": 0.0001})
    agent_path = start_card(api, project, columns["Implement"]["id"], "claude-code", "http://127.0.0.1:9",
                            "Costly", "sleep 60")
    run_until_settled(app)
    agent = api.get(agent_path)
    assert (agent["status"], agent["error"]["code"]) == ("failed", "budget_exceeded")
    assert agent["usage"]["costUsd"] >= 0.0001


@pytest.mark.parametrize("cli_commands", [{"claude": "/nonexistent/bin/claude", "codex": "codex"}])
def test_a_missing_cli_fails_at_once_naming_the_setting(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    agent_path = start_card(api, project, columns["Implement"]["id"], "claude-code", "http://127.0.0.1:9", "Nothing")
    run_until_settled(app)
    agent = api.get(agent_path)
    assert (agent["status"], agent["error"]["code"]) == ("failed", "cli_not_found")
    assert "agents.claude_command" in agent["error"]["message"]
    assert "/nonexistent/bin/claude" in agent["error"]["message"]


def test_a_cli_that_exits_without_a_result_fails_with_its_stderr(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    agent_path = start_card(api, project, columns["Implement"]["id"], "codex", "http://127.0.0.1:9", "Broken",
                            "fail the sandbox could not start")
    run_until_settled(app)
    agent = api.get(agent_path)
    assert (agent["status"], agent["error"]["code"]) == ("failed", "cli_error")
    assert "exited with code 3" in agent["error"]["message"]
    assert "the sandbox could not start" in agent["error"]["message"]


def test_the_key_proxy_streams_answers_and_serves_only_its_own_session() -> None:
    with fake_provider("anthropic", [[{"text": "streamed"}]], key=REAL_KEY) as (server, url), \
            KeyProxy("anthropic", REAL_KEY, url) as proxy:
        body = {"model": "claude-test", "max_tokens": 10, "stream": True, "messages": []}
        refused = requests.post(f"{proxy.url}/v1/messages", json=body, headers={"x-api-key": "guess"}, timeout=5)
        assert refused.status_code == 401 and not server.requests
        with requests.post(f"{proxy.url}/v1/messages", json=body, headers={"x-api-key": proxy.token},
                           stream=True, timeout=5) as answer:
            assert answer.headers["content-type"] == "text/event-stream"
            events = [line for line in answer.iter_lines() if line.startswith(b"event:")]
        assert events[0] == b"event: message_start" and events[-1] == b"event: message_stop"
        forwarded = {name.lower(): value for name, value in server.requests[0]["headers"].items()}
        assert forwarded["x-api-key"] == REAL_KEY and proxy.token not in json.dumps(forwarded)
