"""What the benchmarks share: a scratch git repository, a seeded database, a server subprocess.

The benchmarks print figures and are never run as tests. They set up through the orchestrator's
own functions (the same code the API calls), then measure through the real server.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing, too

GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def make_repo(path: Path, files: int = 0) -> Path:
    """A git repository on `main` with a README and `files` small source files in 100 folders."""
    path.mkdir(parents=True)
    (path / "README.md").write_text("# bench\n")
    for n in range(files):
        folder = path / "src" / f"pkg{n % 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{n}.py").write_text(f'"""Module {n}."""\n\nVALUE = {n}\n\n\ndef value() -> int:\n'
                                                f"    return VALUE\n")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY}, check=True,
                            capture_output=True, text=True)
    return result.stdout


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'switchyard.db'}"


@contextmanager
def bench_runtime(data_dir: Path) -> Iterator[object]:
    """A migrated database in `data_dir` and a Runtime on it, for seeding before the server starts."""
    from models.migrate import upgrade
    from orchestrator.config import load_settings
    from orchestrator.runtime import build_runtime

    settings = load_settings(None, data_dir=data_dir, **{"database.url": sqlite_url(data_dir)})
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        runtime.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, log_path: Path,
                 env_overrides: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`switchyard serve` on a free port over the seeded database; returns (process, base URL)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SWITCHYARD_") and key not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    env["SWITCHYARD_LOG_LEVEL"] = "warning"  # no per-request logging in the measurement
    env["SWITCHYARD_DATABASE_URL"] = sqlite_url(data_dir)  # the seeded file, whatever config says
    env.update(env_overrides or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=log_path.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        cwd=data_dir, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/api/health", timeout=5).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    stop_server(process)
    raise SystemExit(f"server did not answer within 60 s:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def percentile(values: list[float], pct: int) -> float:
    """The pct-th percentile of `values` (seconds), in milliseconds."""
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000
