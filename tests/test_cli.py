"""The `switchyard` command as a user runs it: real processes, real ports, real files."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests
from alembic.script import ScriptDirectory

from models.migrate import alembic_config
from tests.conftest import PG_URL, free_port, start_server, stop_server


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Child processes must not read a switchyard.toml from the real home or working directory."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.chdir(tmp_path)


def switchyard(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator", *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """Exit code 2 and a single line on stderr, with no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()  # type: ignore[return-value]


# serve -----------------------------------------------------------------------------------------


def test_serve_answers_health_with_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    try:
        response = requests.get(f"{server.url}/api/health", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"data": {"status": "ok"}}
        assert (data_dir / "switchyard.db").is_file()
        assert mode(data_dir / "secret.key") == 0o600
    finally:
        assert stop_server(server.process) == 0


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0, server.log()
    assert time.monotonic() - started < 20
    assert "Traceback" not in server.log()


def test_serve_runs_the_scheduler_once_unless_disabled(tmp_path: Path) -> None:
    server = start_server(tmp_path / "on")
    stop_server(server.process)
    assert server.log().count("scheduler started") == 1

    server = start_server(tmp_path / "off", env={"SWITCHYARD_SCHEDULER_ENABLED": "false"})
    stop_server(server.process)
    assert "scheduler started" not in server.log()


def test_serve_reuses_the_master_key_across_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stop_server(start_server(data_dir).process)
    key = (data_dir / "secret.key").read_bytes()
    stop_server(start_server(data_dir).process)
    assert (data_dir / "secret.key").read_bytes() == key


def test_serve_refuses_a_public_address_with_auth_off(tmp_path: Path) -> None:
    result = switchyard("serve", "--host", "0.0.0.0", "--port", "37199", "--data-dir", str(tmp_path / "d"))
    line = assert_one_line_error(result, "0.0.0.0", "auth")
    assert line.startswith("switchyard:")


# bad configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[server]\nport = "abc"\n', "server.port"),
        ("[server]\nport = 80\nmystery = 1\n", "server.mystery"),
        ("[nonsense]\nx = 1\n", "nonsense"),
    ],
    ids=["wrong-type", "unknown-key", "unknown-section"],
)
def test_bad_config_file_is_one_line_naming_the_key(tmp_path: Path, toml: str, key: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    result = switchyard("serve", "--config", str(config), "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, key)
    assert not (tmp_path / "d").exists(), "a rejected configuration must not create the data directory"


def test_invalid_toml_is_one_line_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[server\nport = 37100\n')
    result = switchyard("serve", "--config", str(config), "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, "broken.toml", "line 1")


def test_bad_environment_value_is_one_line_naming_the_key(tmp_path: Path) -> None:
    result = switchyard("serve", "--data-dir", str(tmp_path / "d"), env={"SWITCHYARD_SERVER_PORT": "99999"})
    assert_one_line_error(result, "server.port", "SWITCHYARD_")


@pytest.mark.parametrize(
    ("variable", "value", "key"),
    [
        ("SWITCHYARD_DATABASE_URL", "not-a-url", "database.url"),
        ("SWITCHYARD_SECRET_KEY", "too-short", "secret_key"),
        ("SWITCHYARD_SERVER", "garbage", "server"),
    ],
)
def test_other_bad_environment_values_are_one_line(tmp_path: Path, variable: str, value: str, key: str) -> None:
    result = switchyard("serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d"),
                        env={variable: value})
    assert_one_line_error(result, key)


def test_missing_config_file_is_exit_code_2(tmp_path: Path) -> None:
    result = switchyard("serve", "--config", str(tmp_path / "nope.toml"), "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, "nope.toml", "does not exist")


def test_switchyard_toml_in_the_working_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "switchyard.toml").write_text('[server]\nport = "from-cwd"\n')
    result = switchyard("serve", "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, "server.port", "from-cwd")


# init ------------------------------------------------------------------------------------------


def test_init_writes_config_and_master_key(tmp_path: Path) -> None:
    config, data_dir = tmp_path / "sy.toml", tmp_path / "d"
    result = switchyard("init", "--config", str(config), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert mode(data_dir / "secret.key") == 0o600
    written = tomllib.loads(config.read_text())
    assert written["server"] == {"host": "127.0.0.1", "port": 37100}
    assert Path(written["data_dir"]) == data_dir

    # Later commands given only the config use that data directory, and so the same key.
    upgraded = switchyard("db", "upgrade", "--config", str(config))
    assert upgraded.returncode == 0, upgraded.stderr
    assert (data_dir / "switchyard.db").is_file()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config, data_dir = tmp_path / "sy.toml", tmp_path / "d"
    assert switchyard("init", "--config", str(config), "--data-dir", str(data_dir)).returncode == 0
    config.write_text("# my edits\n")
    key = (data_dir / "secret.key").read_bytes()

    refused = switchyard("init", "--config", str(config), "--data-dir", str(data_dir))
    assert_one_line_error(refused, "--force")
    assert config.read_text() == "# my edits\n"

    forced = switchyard("init", "--config", str(config), "--data-dir", str(data_dir), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "[server]" in config.read_text()
    assert (data_dir / "secret.key").read_bytes() == key, "--force must never replace the master key"


# db upgrade, version ---------------------------------------------------------------------------


def test_db_upgrade_creates_the_database_and_prints_the_revision(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    first = switchyard("db", "upgrade", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    assert re.search(rf"\brevision {re.escape(head_revision())}\b", first.stdout)
    assert (data_dir / "switchyard.db").is_file()

    again = switchyard("db", "upgrade", "--data-dir", str(data_dir))  # idempotent
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout


@pytest.mark.skipif(not PG_URL, reason="SWITCHYARD_TEST_DATABASE_URL not set")
def test_db_upgrade_on_postgresql(tmp_path: Path) -> None:
    result = switchyard("db", "upgrade", "--data-dir", str(tmp_path / "d"), env={"SWITCHYARD_DATABASE_URL": PG_URL})
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout


def test_version_with_python_dash_m() -> None:
    from importlib.metadata import version

    result = switchyard("version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"switchyard {version('switchyard')}"


def test_version_with_the_console_script() -> None:
    script = Path(sys.executable).parent / "switchyard"
    if not script.exists():
        pytest.skip("the switchyard console script is not installed next to this Python")
    result = subprocess.run([str(script), "version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("switchyard ")


def test_unknown_command_is_a_usage_error() -> None:
    result = switchyard("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "frobnicate" in result.stderr


# web and daemon --------------------------------------------------------------------------------


def test_web_serves_the_api_without_a_scheduler(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", command="web")
    try:
        assert requests.get(f"{server.url}/api/health", timeout=5).json() == {"data": {"status": "ok"}}
        projects = requests.get(f"{server.url}/api/projects", timeout=5)
        assert projects.status_code == 200
        assert projects.json() == {"data": []}
    finally:
        assert stop_server(server.process) == 0
    assert "scheduler started" not in server.log()


def test_daemon_starts_and_stops_on_sigterm(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "daemon", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        output = ""
        while "daemon running" not in output and process.poll() is None:  # printed once it runs
            output += process.stdout.readline()
        assert "daemon running" in output, output
        assert process.poll() is None
        assert (data_dir / "switchyard.db").is_file()  # the daemon migrates too
        assert mode(data_dir / "secret.key") == 0o600
    finally:
        code = stop_server(process)  # type: ignore[arg-type]
    assert code == 0


def test_an_unreachable_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "db", "upgrade", "--data-dir", str(tmp_path / "d")],
        env={**os.environ, "SWITCHYARD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "cannot use the database" in result.stderr and "Traceback" not in result.stderr


def test_worker_explains_the_celery_settings_it_needs(tmp_path: Path) -> None:
    result = switchyard("worker", "--data-dir", str(tmp_path / "d"))
    assert_one_line_error(result, 'agents.backend = "celery"', "celery_broker_url")
