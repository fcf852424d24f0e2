"""Running a project's scripts: a shell command in the project's directory, in its own process
group, with the allowlisted environment of workers/commands.py. A background thread reads the
output line by line and appends it to the run's row and the event outbox in short transactions
(batched every FLUSH_SECONDS), keeping at most `max_output` bytes per run.

The runs alive in this process are known in memory (`ScriptProcesses`): that is what allows one
run per script at a time, what a cancel reaches, and how a `running` row that no process runs any
more is told apart (the orchestrator shows it as `interrupted`).
"""

from __future__ import annotations

import atexit
import codecs
import logging
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import func, literal, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from models import ScriptRun, publish, utcnow
from workers.commands import kill_group

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.2  # how often new output reaches the database and the outbox
LINE_LIMIT = 64 * 1024  # a "line" without a newline (progress bars) is read in pieces this big
DRAIN_SECONDS = 2.0  # after the shell exits, how long its leftovers may hold the output open


@dataclass(frozen=True)
class RunSpec:
    """Everything a run needs, decided by the orchestrator before the process starts."""

    run_id: str
    script_id: str
    project_id: str
    command: str
    cwd: Path
    env: dict[str, str]
    max_output: int


@dataclass
class LiveRun:
    """A run of this process: its process once started, and whether a person cancelled it."""

    spec: RunSpec
    process: subprocess.Popen[bytes] | None = None
    cancelled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, process: subprocess.Popen[bytes]) -> None:
        """Record the started process; a cancel that came before it kills it at once."""
        with self._lock:
            self.process = process
            if self.cancelled:
                kill_group(process)

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self.process is not None:
                kill_group(self.process)


class ScriptProcesses:
    """The script runs alive in this process, one per script at most."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_script: dict[str, LiveRun] = {}

    def reserve(self, spec: RunSpec) -> LiveRun | None:
        """Claim the script for a new run; None while another run of it is alive."""
        with self._lock:
            if spec.script_id in self._by_script:
                return None
            run = self._by_script[spec.script_id] = LiveRun(spec)
            return run

    def release(self, run: LiveRun) -> None:
        with self._lock:
            if self._by_script.get(run.spec.script_id) is run:
                del self._by_script[run.spec.script_id]

    def start(self, run: LiveRun, sessions: sessionmaker[Session]) -> None:
        """Run it on a thread of its own; call only once the run's row is committed."""
        thread = threading.Thread(target=self._execute, args=(run, sessions), daemon=True,
                                  name=f"script-{run.spec.run_id}")
        thread.start()

    def cancel(self, script_id: str) -> LiveRun | None:
        """Kill the script's live run (its whole process group); None if it has none."""
        with self._lock:
            run = self._by_script.get(script_id)
        if run is not None:
            run.cancel()
        return run

    def live_run_ids(self) -> set[str]:
        with self._lock:
            return {run.spec.run_id for run in self._by_script.values()}

    def cancel_all(self) -> None:
        """At exit: no script outlives the service unsupervised."""
        with self._lock:
            runs = list(self._by_script.values())
        for run in runs:
            run.cancel()

    def _execute(self, run: LiveRun, sessions: sessionmaker[Session]) -> None:
        output = RunOutput(sessions, run.spec)
        try:
            status, exit_code = supervise(run, output)
        except Exception:
            log.exception("script run %s failed in Switchyard", run.spec.run_id)
            status, exit_code = "failed", None
            if run.process is not None:
                kill_group(run.process)  # never leave a process nobody reads
        try:
            output.finish(status, exit_code)
        except Exception:  # the row stays `running` and is shown as interrupted
            log.exception("could not record the end of script run %s", run.spec.run_id)
        finally:
            self.release(run)


_processes: ScriptProcesses | None = None
_processes_lock = threading.Lock()


def script_processes() -> ScriptProcesses:
    """This process's registry, made on first use (runs are per process, not per app)."""
    global _processes
    with _processes_lock:
        if _processes is None:
            _processes = ScriptProcesses()
            atexit.register(_processes.cancel_all)
        return _processes


def supervise(run: LiveRun, output: RunOutput) -> tuple[str, int | None]:
    """Start the process, stream its output until it ends, and say how it ended."""
    spec = run.spec
    try:
        process = subprocess.Popen(
            ["bash", "-c", spec.command], cwd=spec.cwd, env=spec.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
    except OSError as exc:
        output.add(f"could not start the script: {exc}\n".encode())
        return "failed", None
    run.attach(process)
    assert process.stdout is not None
    reader = threading.Thread(target=_read_lines, args=(process.stdout, output), daemon=True)
    reader.start()
    _stream_until_done(process, reader, output)
    exit_code = process.wait()
    kill_group(process)  # what the script left running in its group ends with the run
    if run.cancelled:
        return "cancelled", None
    exit_code = 128 - exit_code if exit_code < 0 else exit_code  # killed by signal N: 128+N, as shells say
    return ("completed" if exit_code == 0 else "failed"), exit_code


def _stream_until_done(process: subprocess.Popen[bytes], reader: threading.Thread, output: RunOutput) -> None:
    exited_at: float | None = None
    while reader.is_alive():
        reader.join(FLUSH_SECONDS)
        output.flush()
        if exited_at is None and process.poll() is not None:
            exited_at = time.monotonic()
        if exited_at is not None and time.monotonic() - exited_at > DRAIN_SECONDS:
            kill_group(process)  # background children still hold the output open: the run is over
            reader.join(DRAIN_SECONDS)
            return


def _read_lines(stream: IO[bytes], output: RunOutput) -> None:
    for line in iter(lambda: stream.readline(LINE_LIMIT), b""):
        output.add(line)


class RunOutput:
    """A run's output on its way to the database: the first two thirds of `max_output` are
    appended as they come (and published as `script.output`), the last third is kept in memory
    and written when the run ends, after a marker saying how many bytes in between were cut.
    Events carry exactly the text appended to the row."""

    def __init__(self, sessions: sessionmaker[Session], spec: RunSpec) -> None:
        self.sessions, self.spec = sessions, spec
        self.head_room = spec.max_output * 2 // 3
        self.tail_limit = spec.max_output - self.head_room
        self.pending = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.cut = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.unwritten = ""  # decoded, not yet in the database (a write failed: tried again)
        self.row_gone = False
        self._lock = threading.Lock()

    def add(self, data: bytes) -> None:
        with self._lock:
            head, rest = data[:self.head_room], data[self.head_room:]
            self.head_room -= len(head)
            self.pending += head
            if rest:
                self._keep_tail(rest)

    def _keep_tail(self, data: bytes) -> None:
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail and self.tail_size - len(self.tail[0]) >= self.tail_limit:
            self.tail_size -= len(dropped := self.tail.popleft())
            self.cut += len(dropped)

    def flush(self) -> None:
        with self._lock:
            data = bytes(self.pending)
            self.pending.clear()
        self.unwritten += self.decoder.decode(data)
        if not self.unwritten:
            return
        try:
            with self.sessions.begin() as db:
                self._append(db, self.unwritten)
        except SQLAlchemyError:  # e.g. the database busy for longer than its timeout
            log.warning("script run %s: output not written yet; trying again", self.spec.run_id, exc_info=True)
            return
        self.unwritten = ""

    def finish(self, status: str, exit_code: int | None) -> None:
        self.flush()
        text = self.unwritten + self.decoder.decode(b"", final=True) + self._tail_text()
        spec = self.spec
        with self.sessions.begin() as db:
            if text:
                self._append(db, text)
            result = db.execute(update(ScriptRun).where(ScriptRun.id == spec.run_id).values(
                status=status, exit_code=exit_code,
                ended_at=func.coalesce(ScriptRun.ended_at, literal(utcnow(), ScriptRun.ended_at.type))))
            if result.rowcount:  # type: ignore[attr-defined]
                publish(db, "script.ended", spec.project_id, {"scriptId": spec.script_id, "runId": spec.run_id,
                                                             "status": status, "exitCode": exit_code})

    def _tail_text(self) -> str:
        with self._lock:
            tail = b"".join(self.tail)
            if len(tail) > self.tail_limit:
                self.cut += len(tail) - self.tail_limit
                tail = tail[len(tail) - self.tail_limit:]
            marker = f"\n[... {self.cut} bytes of output cut ...]\n" if self.cut else ""
        return marker + tail.decode("utf-8", errors="replace")

    def _append(self, db: Session, text: str) -> None:
        """One short write: the row grows by `text`, and the outbox says so."""
        if self.row_gone:
            return
        spec = self.spec
        result = db.execute(update(ScriptRun).where(ScriptRun.id == spec.run_id)
                            .values(output=ScriptRun.output + text))
        if not result.rowcount:  # type: ignore[attr-defined]
            self.row_gone = True  # the script was deleted while it ran
            return
        publish(db, "script.output", spec.project_id, {"scriptId": spec.script_id, "runId": spec.run_id,
                                                      "text": text})
