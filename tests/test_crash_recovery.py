"""A server killed with SIGKILL mid-session resumes the session after a restart: the unanswered
tool call is closed as interrupted, no recorded turn is sent again, and no card is left stuck."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import requests

from tests.conftest import start_server, stop_server
from tests.fake_providers import fake_provider


def call(url: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, f"{url}{path}", timeout=10, **kwargs)
    assert response.status_code < 400, response.text
    return response.json()["data"] if response.content else None


def wait_until(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_sigkill_mid_session_then_restart_resumes_from_the_recording(tmp_path: Path, repo: Path, database_url: str) -> None:
    script = [
        [{"tool": "run_command", "input": {"command": "sleep 5", "timeout": 60}}],
        [{"tool": "finish", "input": {"summary": "recovered after the restart"}}],
    ]
    env = {"SWITCHYARD_DATABASE_URL": database_url}
    data = tmp_path / "data"
    with fake_provider("anthropic", script) as (provider, provider_url):
        server = start_server(data, env=env)
        try:
            url = server.url
            project = call(url, "POST", "/api/projects",
                           json={"name": "Crash", "path": str(repo), "templateId": "tpl_agent_pipeline"})
            implement = next(c for c in call(url, "GET", f"/api/projects/{project['id']}/columns")
                             if c["name"] == "Implement")
            cred = call(url, "POST", "/api/credentials",
                        json={"name": "k", "provider": "anthropic", "apiKey": "sk-test-key", "baseUrl": provider_url})
            call(url, "PUT", f"/api/projects/{project['id']}/credential", json={"credentialId": cred["id"]})
            card = call(url, "POST", f"/api/projects/{project['id']}/cards",
                        json={"title": "Survive", "columnId": implement["id"]})
            messages = f"/api/projects/{project['id']}/cards/{card['id']}/agent/messages"
            wait_until(lambda: any(m["kind"] == "tool_call" for m in call(url, "GET", messages)))
        finally:
            stop_server(server.process, signal.SIGKILL)

        restarted = start_server(data, env=env)
        try:
            agent = f"/api/projects/{project['id']}/cards/{card['id']}/agent"
            done = wait_until(lambda: (a := call(restarted.url, "GET", agent))["status"] == "completed" and a,
                              timeout=60)
        finally:
            stop_server(restarted.process)

    assert done["summary"] == "recovered after the restart"
    assert done["attempt"] == 2
    assert len(provider.requests) == 2, "the recorded first turn was not sent again"
    resumed = str(provider.requests[1]["body"]["messages"])
    assert "interrupted" in resumed and "may or may not have taken effect" in resumed
