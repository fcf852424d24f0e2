"""`agents.backend = "celery"`: the scheduler sends claimed sessions to a real Celery worker
(`switchyard worker`, a separate process) through Redis; the worker takes the lease over and
runs the session; a second delivery of the same message runs nothing; an unreachable broker
leaves the session queued."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.celery_backend import TASK_NAME
from orchestrator.config import Settings, load_settings
from orchestrator.dispatcher import Dispatcher
from tests.conftest import REDIS, Api, redis_answers, stop_server
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential

pytestmark = pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379 as the Celery broker")
BROKER = f"redis://{REDIS[0]}:{REDIS[1]}/0"


@pytest.fixture
def queue() -> str:
    return f"switchyard-test-{uuid.uuid4().hex[:10]}"  # no other test's or installation's worker reads it


@pytest.fixture
def settings(tmp_path: Path, database_url: str, queue: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "agents.backend": "celery", "agents.celery_broker_url": BROKER,
        "agents.celery_queue": queue})


@pytest.fixture
def worker(tmp_path: Path, database_url: str, queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """`switchyard worker` in its own process, on the test's database and queue."""
    log = tmp_path / "worker.log"
    env = {**os.environ, "SWITCHYARD_DATABASE_URL": database_url, "SWITCHYARD_AGENTS_BACKEND": "celery",
           "SWITCHYARD_AGENTS_CELERY_BROKER_URL": BROKER, "SWITCHYARD_AGENTS_CELERY_QUEUE": queue}
    process = subprocess.Popen([sys.executable, "-m", "orchestrator", "worker", "--data-dir", str(tmp_path / "data"),
                                "--concurrency", "2"], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text(errors="replace"):
        assert process.poll() is None, f"the worker exited: {log.read_text(errors='replace')[-2000:]}"
        assert time.monotonic() < deadline, f"the worker never got ready: {log.read_text(errors='replace')[-2000:]}"
        time.sleep(0.2)
    try:
        yield process
    finally:
        stop_server(process)


def _agent(api: Api, project: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    return api.get(f"/api/projects/{project['id']}/cards/{card['id']}/agent")


def _tick_until(dispatcher: Dispatcher, api: Api, project: dict[str, Any], card: dict[str, Any],
                statuses: tuple[str, ...], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        dispatcher.tick()
        agent = _agent(api, project, card)
        if agent["status"] in statuses:
            return agent
        assert time.monotonic() < deadline, f"the session stayed {agent['status']}"
        time.sleep(0.1)


def test_a_celery_worker_runs_the_session(app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any],
                                          worker: subprocess.Popen[bytes], tmp_path: Path) -> None:
    script = [[{"tool": "write_file", "input": {"path": "celery.txt", "content": "from a worker\n"}}],
              [{"tool": "finish", "input": {"summary": "wrote celery.txt"}}]]
    runtime = app.extensions["switchyard"]
    dispatcher = Dispatcher(runtime)
    try:
        with fake_provider("anthropic", script) as (_server, base_url):
            api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential(api, "anthropic", base_url)})
            card = api.post(f"/api/projects/{project['id']}/cards",
                            {"title": "Run elsewhere", "columnId": columns["Implement"]["id"]}, expect=201)
            agent = _tick_until(dispatcher, api, project, card, ("completed", "failed"))
        assert agent["status"] == "completed", agent
        assert dispatcher.backend.cancels == {}  # nothing ran in this process
        assert Path(agent["worktreePath"], "celery.txt").read_text() == "from a worker\n"
        assert [m["kind"] for m in api.get(f"/api/projects/{project['id']}/cards/{card['id']}/agent/messages")
                ].count("tool_call") == 2
        log = tmp_path / "data" / "logs" / "worker.log"
        assert f"session_id={agent['id']} ended: completed" in log.read_text()  # the worker's process ran it
        # The same message delivered again (late acks after a lost worker) runs nothing.
        dispatcher.backend.app.send_task(TASK_NAME, args=[agent["id"], dispatcher.owner])
        deadline = time.monotonic() + 30
        while "succeeded" not in log.read_text().split("'ran'", 1)[1]:
            assert time.monotonic() < deadline, "the second delivery was never handled"
            time.sleep(0.2)
        assert "'skipped'" in log.read_text()
        assert _agent(api, project, card)["status"] == "completed"
    finally:
        dispatcher.backend.shutdown()


def test_an_unreachable_broker_leaves_the_session_queued(tmp_path: Path, database_url: str, api: Api,
                                                         project: dict[str, Any], columns: dict[str, Any],
                                                         queue: str, caplog: Any) -> None:
    from web import create_app

    closed = load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "agents.backend": "celery",
        "agents.celery_broker_url": "redis://127.0.0.1:9/0", "agents.celery_queue": queue})
    app = create_app(closed)
    dispatcher = Dispatcher(app.extensions["switchyard"])
    try:
        card = api.post(f"/api/projects/{project['id']}/cards",
                        {"title": "Nobody listens", "columnId": columns["Implement"]["id"]}, expect=201)
        started = time.monotonic()
        dispatcher.tick()
        assert time.monotonic() - started < 30
        assert _agent(api, project, card)["status"] == "queued"
        assert "could not reach the Celery broker" in caplog.text
        dispatcher.tick()  # the next tick does not try again at once
        assert caplog.text.count("could not reach the Celery broker") == 1
    finally:
        dispatcher.backend.shutdown()
        app.extensions["switchyard"].close()
