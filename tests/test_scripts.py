"""Project scripts through the API: the list and its changes, runs in the project's directory
with their output streamed into the run and the event outbox, one run at a time, cancel, the
environment a script sees, output caps, and runs left behind by a process that died."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from models import Event, ScriptRun
from orchestrator.config import Settings, load_settings
from tests.conftest import Api, start_server, stop_server
from tests.test_authz_matrix import make_user

MAX_OUTPUT = 6000  # small, so the cap is quick to reach


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "scripts.max_output_bytes": MAX_OUTPUT, "scripts.keep_runs": 2})


@pytest.fixture
def base(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/scripts"


def add(api: Api, base: str, name: str, command: str) -> dict[str, Any]:
    return api.post(base, {"name": name, "command": command}, expect=201)


def status_of(api: Api, base: str, script_id: str) -> dict[str, Any]:
    return next(item for item in api.get(f"{base}/status") if item["scriptId"] == script_id)


def wait_for_run(api: Api, base: str, script_id: str, until: Any, timeout: float = 10.0) -> dict[str, Any]:
    """Poll the status list until the script's latest run satisfies `until`."""
    deadline = time.monotonic() + timeout
    while True:
        run = status_of(api, base, script_id)["lastRun"]
        if run is not None and until(run):
            return run
        assert time.monotonic() < deadline, f"the run did not get there in {timeout}s: {run}"
        time.sleep(0.05)


def ended(run: dict[str, Any]) -> bool:
    return run["status"] != "running"


def printed_pid(api: Api, base: str, script_id: str) -> int:
    run = wait_for_run(api, base, script_id, lambda r: re.search(r"pid=(\d+)", r["outputTail"]))
    return int(re.search(r"pid=(\d+)", run["outputTail"]).group(1))  # type: ignore[union-attr]


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies waiting for a reaper do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def wait_until_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while group_alive(pgid):
        assert time.monotonic() < deadline, f"process group {pgid} still runs"
        time.sleep(0.05)


def events(app: Any, *types: str) -> list[Event]:
    with app.extensions["switchyard"].transaction() as db:
        return list(db.scalars(select(Event).where(Event.type.in_(types)).order_by(Event.id)))


# The list --------------------------------------------------------------------------------------


def test_scripts_are_created_listed_updated_reordered_and_deleted(api: Api, base: str) -> None:
    test = add(api, base, "Test", "pytest -q")
    lint = add(api, base, "Lint", "ruff check .")
    build = add(api, base, "Build", "make")
    assert test["command"] == "pytest -q" and test["projectId"] in base
    assert [s["name"] for s in api.get(base)] == ["Test", "Lint", "Build"]

    changed = api.put(f"{base}/{lint['id']}", {"name": "Lint all", "command": "ruff check . --fix"})
    assert (changed["name"], changed["command"]) == ("Lint all", "ruff check . --fix")
    assert api.put(f"{base}/{lint['id']}", {"command": "ruff check"})["name"] == "Lint all"

    ordered = api.put(f"{base}/reorder", {"ids": [build["id"], test["id"], lint["id"]]})
    assert [(s["name"], s["position"]) for s in ordered] == [("Build", 0), ("Test", 1), ("Lint all", 2)]
    assert [s["name"] for s in api.get(base)] == ["Build", "Test", "Lint all"]

    api.delete(f"{base}/{test['id']}")
    assert [s["name"] for s in api.get(base)] == ["Build", "Lint all"]
    api.put(f"{base}/{test['id']}", {"name": "Back"}, expect=404)
    api.delete(f"{base}/{test['id']}", expect=404)
    assert [item["lastRun"] for item in api.get(f"{base}/status")] == [None, None]


@pytest.mark.parametrize(("body", "field"), [
    ({"command": "make"}, "name"),
    ({"name": "Build"}, "command"),
    ({"name": "  ", "command": "make"}, "name"),
    ({"name": "Build", "command": "   "}, "command"),
    ({"name": "Build", "command": "echo a\x00b"}, "command"),
    ({"name": "Build", "command": 7}, "command"),
])
def test_a_script_needs_a_name_and_a_command(api: Api, base: str, body: dict[str, Any], field: str) -> None:
    response = api.client.post(base, json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["message"]
    assert api.get(base) == []


def test_bad_updates_and_reorders_change_nothing(api: Api, base: str) -> None:
    first, second = add(api, base, "First", "true"), add(api, base, "Second", "true")
    api.put(f"{base}/{first['id']}", {"name": ""}, expect=400)
    api.put(f"{base}/{first['id']}", {"command": " "}, expect=400)
    for ids in ([second["id"], "script_unknown"], [second["id"]], [second["id"], second["id"]], []):
        response = api.client.put(f"{base}/reorder", json={"ids": ids})
        assert response.status_code == 400, ids
        assert response.get_json()["error"]["message"].startswith("ids:")
    response = api.client.put(f"{base}/reorder", json={"ids": [first["id"], second["id"], "script_unknown"]})
    assert "script_unknown" in response.get_json()["error"]["message"]
    assert [(s["name"], s["command"], s["position"]) for s in api.get(base)] == [
        ("First", "true", 0), ("Second", "true", 1)]


# Runs ------------------------------------------------------------------------------------------


def test_a_run_streams_its_output_and_records_the_exit_code(app: Any, api: Api, base: str, repo: Path) -> None:
    script = add(api, base, "Check", "pwd; echo one; echo two >&2; sleep 0.3; printf 'three\\n'; exit 3")
    started = api.post(f"{base}/{script['id']}/run", expect=201)
    assert started["status"] == "running" and started["scriptId"] == script["id"]

    run = wait_for_run(api, base, script["id"], ended)
    assert (run["id"], run["status"], run["exitCode"]) == (started["id"], "failed", 3)
    assert run["endedAt"] >= run["startedAt"]
    assert run["outputTail"] == f"{repo.resolve()}\none\ntwo\nthree\n"
    assert status_of(api, base, script["id"])["running"] is False
    full = api.get(f"{base}/{script['id']}/runs/{run['id']}")
    assert full["output"] == run["outputTail"] and full["exitCode"] == 3

    streamed = events(app, "script.output")
    assert {e.data["runId"] for e in streamed} == {run["id"]}
    assert "".join(e.data["text"] for e in streamed) == full["output"]
    assert len(streamed) >= 2, "output written while the script ran arrives before its end"
    (end,) = events(app, "script.ended")
    assert end.data == {"scriptId": script["id"], "runId": run["id"], "status": "failed", "exitCode": 3}
    assert [e.data["runId"] for e in events(app, "script.started")] == [run["id"]]

    ok = add(api, base, "Ok", "echo fine")
    api.post(f"{base}/{ok['id']}/run", expect=201)
    assert wait_for_run(api, base, ok["id"], ended)["status"] == "completed"
    assert status_of(api, base, ok["id"])["lastRun"]["exitCode"] == 0


def test_one_run_at_a_time_and_cancel_kills_the_whole_process_group(api: Api, base: str) -> None:
    script = add(api, base, "Serve", "sleep 60 & echo pid=$$; wait")
    api.post(f"{base}/{script['id']}/cancel", expect=409)
    run = api.post(f"{base}/{script['id']}/run", expect=201)
    pgid = printed_pid(api, base, script["id"])
    assert group_alive(pgid)

    response = api.client.post(f"{base}/{script['id']}/run")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "script_running"

    cancelled = api.post(f"{base}/{script['id']}/cancel")
    assert (cancelled["id"], cancelled["status"]) == (run["id"], "cancelled")
    final = wait_for_run(api, base, script["id"], lambda r: r["status"] == "cancelled" and r["endedAt"])
    assert final["exitCode"] is None
    wait_until_gone(pgid)
    response = api.client.post(f"{base}/{script['id']}/cancel")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_running"

    again = api.post(f"{base}/{script['id']}/run", expect=201)  # free again once cancelled
    pgid = printed_pid(api, base, script["id"])
    api.post(f"{base}/{script['id']}/cancel")
    wait_until_gone(pgid)
    assert wait_for_run(api, base, script["id"], ended)["id"] == again["id"]


def test_deleting_a_running_script_stops_it(api: Api, base: str) -> None:
    script = add(api, base, "Long", "echo pid=$$; sleep 60")
    api.post(f"{base}/{script['id']}/run", expect=201)
    pgid = printed_pid(api, base, script["id"])
    api.delete(f"{base}/{script['id']}")
    wait_until_gone(pgid)
    assert api.get(base) == []


def test_a_script_sees_none_of_the_service_secrets(
    api: Api, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {"SWITCHYARD_SECRET_KEY": "master-key-value-123", "ANTHROPIC_API_KEY": "sk-ant-secret-456",
               "OPENAI_API_KEY": "sk-openai-secret-789", "SWITCHYARD_PROVIDERS_ANTHROPIC_API_KEY": "sk-ant-own-000"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)  # in the service's own environment
    script = add(api, base, "Env", "env")
    api.post(f"{base}/{script['id']}/run", expect=201)
    run = wait_for_run(api, base, script["id"], ended)
    output = api.get(f"{base}/{script['id']}/runs/{run['id']}")["output"]
    assert run["status"] == "completed" and "PATH=" in output
    for name, value in secrets.items():
        assert name not in output and value not in output


def test_output_is_capped_with_a_marker_saying_how_much_was_cut(app: Any, api: Api, base: str) -> None:
    script = add(api, base, "Noisy", "seq 1 5000")
    api.post(f"{base}/{script['id']}/run", expect=201)
    run = wait_for_run(api, base, script["id"], ended)
    output = api.get(f"{base}/{script['id']}/runs/{run['id']}")["output"]
    total = sum(len(f"{n}\n") for n in range(1, 5001))
    cut = re.search(r"\[\.\.\. (\d+) bytes of output cut \.\.\.\]", output)
    assert cut is not None and output.startswith("1\n2\n3\n") and output.endswith("4999\n5000\n")
    head, tail = output.split(cut.group(0))
    assert len(head.encode()) - 1 + len(tail.encode()) - 1 + int(cut.group(1)) == total  # minus the marker's newlines
    assert len(output.encode()) <= MAX_OUTPUT + 100
    assert run["outputTail"] == output[-4000:]
    assert "".join(e.data["text"] for e in events(app, "script.output")) == output


def test_only_the_latest_runs_are_kept(app: Any, api: Api, base: str) -> None:
    script = add(api, base, "Quick", "echo hi")
    ids = []
    for _ in range(4):
        ids.append(api.post(f"{base}/{script['id']}/run", expect=201)["id"])
        wait_for_run(api, base, script["id"], ended)
    with app.extensions["switchyard"].transaction() as db:
        kept = db.scalars(select(ScriptRun.id).where(ScriptRun.script_id == script["id"])).all()
    assert sorted(kept) == sorted(ids[-2:])  # keep_runs = 2
    api.get(f"{base}/{script['id']}/runs/{ids[0]}", expect=404)


def test_a_project_whose_directory_is_gone_cannot_run_scripts(api: Api, base: str, repo: Path) -> None:
    script = add(api, base, "Test", "true")
    shutil.rmtree(repo)
    response = api.client.post(f"{base}/{script['id']}/run")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "project_path_missing"
    assert status_of(api, base, script["id"])["lastRun"] is None


def test_viewers_read_scripts_and_only_editors_change_or_run_them(app: Any, api: Api, repo: Path) -> None:
    from models import ProjectMember

    root, _ = make_user(app, "root@example.com", "super_admin")
    api.as_user(root).put("/api/settings/auth", {"enabled": True})
    owner_token, _ = make_user(app, "owner@example.com", "user")
    owner = api.as_user(owner_token)
    project = owner.post("/api/projects", {"name": "Owned", "path": str(repo)}, expect=201)
    base = f"/api/projects/{project['id']}/scripts"
    script = owner.post(base, {"name": "Hello", "command": "echo hello"}, expect=201)
    people = {}
    for role in ("viewer", "editor"):
        token, user_id = make_user(app, f"{role}@example.com", "user")
        with app.extensions["switchyard"].transaction() as db:
            db.add(ProjectMember(project_id=project["id"], user_id=user_id, role=role))
        people[role] = api.as_user(token)
    viewer, editor = people["viewer"], people["editor"]

    assert [s["name"] for s in viewer.get(base)] == ["Hello"]
    assert viewer.get(f"{base}/status")[0]["lastRun"] is None
    viewer.post(base, {"name": "Mine", "command": "true"}, expect=403)
    viewer.put(f"{base}/{script['id']}", {"command": "rm -rf ."}, expect=403)
    viewer.put(f"{base}/reorder", {"ids": [script["id"]]}, expect=403)
    viewer.post(f"{base}/{script['id']}/run", expect=403)
    viewer.post(f"{base}/{script['id']}/cancel", expect=403)
    viewer.delete(f"{base}/{script['id']}", expect=403)
    assert owner.get(f"{base}/status")[0]["lastRun"] is None
    api.as_user(None).get(base, expect=401)

    editor.post(f"{base}/{script['id']}/run", expect=201)
    run = wait_for_run(viewer, base, script["id"], ended)
    assert run["outputTail"] == "hello\n"
    assert viewer.get(f"{base}/{script['id']}/runs/{run['id']}")["output"] == "hello\n"
    with app.extensions["switchyard"].transaction() as db:
        assert db.scalar(select(func.count()).select_from(ScriptRun)) == 1


# A process that died -------------------------------------------------------------------------


def test_a_run_whose_server_died_shows_as_interrupted_after_restart(tmp_path: Path, database_url: str,
                                                                     repo: Path) -> None:
    data_dir = tmp_path / "server-data"
    env = {"SWITCHYARD_DATABASE_URL": database_url}
    server = start_server(data_dir, env=env)
    groups: list[int] = []
    try:
        project = requests.post(f"{server.url}/api/projects", json={"name": "Live", "path": str(repo)},
                                timeout=10).json()["data"]
        base = f"/api/projects/{project['id']}/scripts"
        script = requests.post(f"{server.url}{base}", json={"name": "Long", "command": "echo pid=$$; sleep 60"},
                               timeout=10).json()["data"]
        assert requests.post(f"{server.url}{base}/{script['id']}/run", timeout=10).status_code == 201
        groups.append(live_pid(server.url + base))
        stop_server(server.process, signal.SIGKILL)

        server = start_server(data_dir, env=env)
        run = requests.get(f"{server.url}{base}/status", timeout=10).json()["data"][0]["lastRun"]
        assert (run["status"], run["exitCode"]) == ("interrupted", None) and run["endedAt"]
        assert "pid=" in run["outputTail"], "what it printed before the crash is kept"
        assert requests.post(f"{server.url}{base}/{script['id']}/run", timeout=10).status_code == 201
        groups.append(live_pid(server.url + base))
        stop_server(server.process)
        wait_until_gone(groups[1])  # a server that stops normally stops its scripts
    finally:
        stop_server(server.process)
        for pgid in groups:
            if group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)  # a SIGKILLed server cannot stop what it started


def live_pid(url: str) -> int:
    """The pid the running script printed, read through a live server's status list."""
    deadline = time.monotonic() + 10
    while True:
        run = requests.get(f"{url}/status", timeout=10).json()["data"][0]["lastRun"]
        found = run and run["status"] == "running" and re.search(r"pid=(\d+)", run["outputTail"])
        if found:
            return int(found.group(1))
        assert time.monotonic() < deadline, f"the script never printed its pid: {run}"
        time.sleep(0.05)
