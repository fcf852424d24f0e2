"""A team's `custom` agent runs its own command: the command_template a person set runs in the
task's worktree with the prompt on stdin; its output becomes the session's message and the task's
review report; its key reaches the provider only through the loopback proxy."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import AgentMessage, AgentSession
from tests.conftest import Api
from tests.fake_providers import fake_provider
from tests.test_agent_endpoints import ticking, wait_for
from tests.test_agent_runtime import run_until_settled
from tests.test_cli_engines import alive
from tests.v1_helpers import agent_key, make_workspace

AGENT_SCRIPT = """
import json, os, subprocess, sys, urllib.request
prompt = sys.stdin.read()
if "SLOW" in prompt:
    child = subprocess.Popen(["sleep", "60"])
    with open(sys.argv[1] + ".pids", "w") as pids:
        pids.write(f"{os.getpid()} {child.pid}")
    child.wait()
report = {"argv": sys.argv[1:], "env": dict(os.environ), "prompt": prompt, "cwd": os.getcwd()}
if os.environ.get("OPENAI_BASE_URL"):
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"})
    report["provider_status"] = urllib.request.urlopen(request).status
with open(sys.argv[1], "w") as out:
    json.dump(report, out)
if "FAIL" in prompt:
    print("could not do it", file=sys.stderr)
    sys.exit(3)
with open("NOTES.md", "w") as notes:
    notes.write("written by the custom agent\\n")
print("Added NOTES.md with the notes.")
"""


def _custom_agent(api: Api, tmp_path: Path, workspace: str, **config: Any) -> Path:
    """A `custom` byok agent whose command records what it saw in report.json (outside the repo)."""
    script, report = tmp_path / "agent.py", tmp_path / "report.json"
    script.write_text(AGENT_SCRIPT)
    template = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(report))} {{model}}"
    api.post("/api/v1/agents", {"name": "scripted"}, headers={"X-Workspace-Id": workspace}, expect=201)
    api.put("/api/v1/agents/scripted/config", {"engine": "custom", "execution_mode": "byok",
                                               "command_template": template, "model": "my model", **config},
            headers={"X-Workspace-Id": workspace})
    return report


def _session(app: Any, card_id: str) -> tuple[AgentSession, list[AgentMessage]]:
    with app.extensions["switchyard"].transaction() as db:
        row = db.scalars(select(AgentSession).where(AgentSession.card_id == card_id)).one()
        messages = db.scalars(select(AgentMessage).where(AgentMessage.session_id == row.id)
                              .order_by(AgentMessage.seq)).all()
        db.expunge_all()
        return row, list(messages)


def test_custom_agent_runs_its_command_to_review(app: Any, api: Api, repo: Path, tmp_path: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    with fake_provider("openai", [[{"text": "hello"}]], key="sk-custom-secret") as (server, base_url):
        report_file = _custom_agent(api, tmp_path, workspace, api_key="sk-custom-secret", base_url=base_url,
                                    system_prompt="Keep notes short.")
        task = manager.post("/api/v1/tasks", {"title": "Write the notes", "owner": "scripted",
                                              "status": "in_progress"}, expect=201)
        run_until_settled(app)

    report = json.loads(report_file.read_text())
    row, messages = _session(app, task["id"])
    assert row.status == "completed" and row.engine == "command"
    assert report["cwd"] == row.worktree_path
    assert report["argv"][1] == "my model"  # {model}, one argument although it holds a space
    assert "Write the notes" in report["prompt"] and "Keep notes short." in report["prompt"]
    # The real key reached the provider through the proxy; the command never held it.
    assert report["provider_status"] == 200
    assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-custom-secret"
    assert report["env"]["OPENAI_API_KEY"].startswith("switchyard-proxy-")
    assert "sk-custom-secret" not in json.dumps(report)
    assert [m.kind for m in messages][-1] == "assistant"
    assert messages[-1].text == "Added NOTES.md with the notes."
    after = manager.get(f"/api/v1/tasks/{task['id']}")
    assert after["status"] == "review"
    assert after["review_report"]["summary"] == "Added NOTES.md with the notes."
    assert len(after["commits"]) == 1
    diff = api.get(f"/api/projects/{workspace}/cards/{task['id']}/diff")
    assert "NOTES.md" in json.dumps(diff)


def test_failing_command_fails_the_session_and_is_recorded(app: Any, api: Api, repo: Path,
                                                           tmp_path: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    _custom_agent(api, tmp_path, workspace)
    task = manager.post("/api/v1/tasks", {"title": "FAIL on purpose", "owner": "scripted",
                                          "status": "in_progress"}, expect=201)
    run_until_settled(app)
    row, _ = _session(app, task["id"])
    assert row.status == "failed" and row.error_code == "command_failed"
    assert "exited with code 3" in row.error_message and "could not do it" in row.error_message
    failures = manager.get("/api/v1/failures")
    assert failures[0]["failure_type"] == "session_failed" and failures[0]["task_id"] == task["id"]


def test_custom_agent_without_a_command_fails_clearly(app: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    api.post("/api/v1/agents", {"name": "bare"}, headers={"X-Workspace-Id": workspace}, expect=201)
    manager.put("/api/v1/agents/bare/config", {"engine": "custom", "execution_mode": "byok"})
    task = manager.post("/api/v1/tasks", {"title": "Nothing to run", "owner": "bare", "status": "in_progress"},
                        expect=201)
    run_until_settled(app)
    row, _ = _session(app, task["id"])
    assert row.status == "failed" and row.error_code == "bad_config"
    assert "command_template" in row.error_message and "/api/v1/agents/bare/config" in row.error_message


def test_cancel_kills_the_command_and_its_children(app: Any, api: Api, repo: Path, tmp_path: Path) -> None:
    workspace = make_workspace(api, repo)["id"]
    manager = agent_key(api, workspace, "manager")
    pids_file = Path(f"{_custom_agent(api, tmp_path, workspace)}.pids")
    with ticking(app):
        task = manager.post("/api/v1/tasks", {"title": "SLOW work", "owner": "scripted", "status": "in_progress"},
                            expect=201)
        deadline = time.monotonic() + 15
        while not pids_file.exists() or not pids_file.read_text():
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        agent_path = f"/api/projects/{workspace}/cards/{task['id']}/agent"
        api.post(f"{agent_path}/cancel", expect=204)
        wait_for(api, agent_path, "cancelled", timeout=10)
    for pid in map(int, pids_file.read_text().split()):
        assert not alive(pid), f"process {pid} outlived the cancel"
