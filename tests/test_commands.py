"""Agent commands: confined to the worktree, bounded in time and output, and keyless."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from workers.commands import agent_environment, run_command


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-must-not-leak")
    monkeypatch.setenv("SWITCHYARD_SECRET_KEY", "must-not-leak-either")
    return agent_environment(tmp_path)


def test_runs_in_the_given_directory_and_reports_the_exit_code(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_command("pwd; exit 3", tmp_path, timeout=10, max_output=1000, env=env)
    assert result.output.strip() == str(tmp_path)
    assert result.exit_code == 3


def test_service_secrets_are_not_in_the_environment(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_command("env", tmp_path, timeout=10, max_output=100_000, env=env)
    assert "must-not-leak" not in result.output
    assert "PATH=" in result.output


def test_long_output_keeps_head_and_tail_and_says_how_much_was_cut(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_command("seq 1 100000", tmp_path, timeout=10, max_output=600, env=env)
    assert result.output.startswith("1\n2\n3\n")
    assert result.output.rstrip().endswith("100000")
    assert result.cut_bytes > 500_000
    assert f"[... {result.cut_bytes} bytes of output cut ...]" in result.output
    assert len(result.output) < 700


def test_timeout_kills_the_whole_process_group(tmp_path: Path, env: dict[str, str]) -> None:
    marker = tmp_path / "still-running"
    script = f"(sleep 3; touch {marker}) & sleep 30"
    started = time.monotonic()
    result = run_command(script, tmp_path, timeout=0.5, max_output=1000, env=env)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started < 5
    time.sleep(3.5)
    assert not marker.exists(), "a child of the timed-out command survived"


def test_cancel_stops_a_running_command(tmp_path: Path, env: dict[str, str]) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    result = run_command("sleep 30", tmp_path, timeout=60, max_output=1000, env=env, cancel=cancel.is_set)
    assert result.cancelled
    assert time.monotonic() - started < 5


def test_home_is_the_given_directory(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_command("echo $HOME", tmp_path, timeout=10, max_output=1000, env=env)
    assert result.output.strip() == str(tmp_path)
    assert os.environ.get("HOME") != str(tmp_path)
