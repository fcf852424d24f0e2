"""Running a shell command for an agent: in its worktree, in its own process group, with a
timeout, a cap on the output it keeps, and an environment that holds none of the service's
secrets (only an allowlist of harmless variables is passed through)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Passed through from the service's environment; everything else (keys, tokens, SWITCHYARD_*)
# stays out of the agent's reach.
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SHELL", "TMPDIR")
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None
    output: str
    timed_out: bool = False
    cancelled: bool = False
    cut_bytes: int = 0


def agent_environment(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update({"HOME": str(home), "TERM": "dumb", "GIT_TERMINAL_PROMPT": "0", "PAGER": "cat"})
    env.update(extra or {})
    return env


def run_command(
    command: str,
    cwd: Path,
    timeout: float,
    max_output: int,
    env: dict[str, str],
    cancel: Callable[[], bool] | None = None,
    stdin: str | None = None,
) -> CommandResult:
    """Run `command` with bash; kill its whole process group on timeout or when `cancel()` says so.
    `stdin`, when given, is written on a thread (a large prompt must not block the poll loop)."""
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    collector = _CappedOutput(max_output)
    reader = threading.Thread(target=collector.drain, args=(process.stdout,), daemon=True)
    reader.start()
    if stdin is not None:
        threading.Thread(target=_feed, args=(process, stdin), daemon=True).start()
    deadline = time.monotonic() + timeout
    timed_out = cancelled = False
    while process.poll() is None:
        if cancel is not None and cancel():
            cancelled = True
        elif time.monotonic() > deadline:
            timed_out = True
        if timed_out or cancelled:
            kill_group(process)
            break
        time.sleep(POLL_SECONDS)
    process.wait()
    reader.join(timeout=2)
    return CommandResult(
        exit_code=None if (timed_out or cancelled) else process.returncode,
        output=collector.text(),
        timed_out=timed_out,
        cancelled=cancelled,
        cut_bytes=collector.cut,
    )


def _feed(process: subprocess.Popen[bytes], text: str) -> None:
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode())
        process.stdin.close()
    except OSError:  # it exited without reading everything; its exit code says why
        pass


def kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _CappedOutput:
    """Keeps the first and last parts of the output, and counts what falls between."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit * 2 // 3
        self.tail_limit = limit - self.head_limit
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.cut = 0

    def drain(self, stream) -> None:  # type: ignore[no-untyped-def]
        for chunk in iter(lambda: stream.read1(65536), b""):
            self._add(chunk)

    def _add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail and self.tail_size - len(self.tail[0]) >= self.tail_limit:
            dropped = self.tail.popleft()
            self.tail_size -= len(dropped)
            self.cut += len(dropped)

    def text(self) -> str:
        tail = b"".join(self.tail)
        if len(tail) > self.tail_limit:
            self.cut += len(tail) - self.tail_limit
            tail = tail[len(tail) - self.tail_limit:]
        head = self.head.decode("utf-8", errors="replace")
        if not self.cut:
            return head + tail.decode("utf-8", errors="replace")
        marker = f"\n[... {self.cut} bytes of output cut ...]\n"
        return head + marker + tail.decode("utf-8", errors="replace")
