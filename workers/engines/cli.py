"""Running a CLI coding agent (claude, codex) as a subprocess in the card's worktree.

The CLI runs its own tool loop; Switchyard reads its JSON event stream line by line as it comes
and records the same messages and turns as the API engines. The CLI never sees the provider key:
it talks to a loopback key proxy with a placeholder. It runs in its own process group, with the
allowlisted environment and a home of its own outside the worktree (so its configuration and
transcripts are never committed), and the whole group is stopped on cancel, at the column's
deadline, on the budget and on max_turns.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from workers.agent import Limits, Outcome, Pricer, SessionEnd
from workers.commands import agent_environment, kill_group
from workers.engines.base import Message, ModelReply, ToolCall, work_order
from workers.key_proxy import KeyProxy
from workers.recording import SessionRecorder
from workers.tools import ToolOutcome

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1
TERM_GRACE_SECONDS = 1.0  # SIGTERM, then SIGKILL: the group is gone well within the 2 s a cancel has
EXIT_DRAIN_SECONDS = 2.0  # after the CLI exits, how long a child still holding its stdout may keep it
STDERR_LINES = 20
CONTINUE_PROMPT = "Continue the task from where you stopped."
CLI_ENGINES = ("claude-code", "codex")
_END = object()


@dataclass(frozen=True)
class CliRun:
    """One card session's run of a CLI agent, as the dispatcher prepared it."""

    command: Sequence[str]  # the configured command, already split (a path, or e.g. `npx x`)
    setting: str  # the setting that names the command, for a person to fix
    worktree: Path
    home: Path  # the CLI's HOME: its config, login state and transcripts (kept for resumes)
    api_key: str
    base_url: str | None
    model: str | None
    system: str
    history: Sequence[Message]  # the recorded conversation; its first user message is the work order
    resume_id: str | None  # the CLI's own session id from an earlier run of this session
    limits: Limits


def run_cli(run: CliRun, engine: EngineBase) -> Outcome:
    """Run the CLI until its work is done; a person's messages that arrive meanwhile resume it."""
    try:
        proxy = KeyProxy(engine.family, run.api_key, run.base_url)
    except ValueError as exc:
        return Outcome("failed", error_code="bad_config", error_message=f"the credential's baseUrl: {exc}")
    run.home.mkdir(parents=True, exist_ok=True)
    with proxy:
        prompt, resume_id = first_prompt(run, engine)
        while True:
            outcome = run_once(run, engine, proxy, prompt, resume_id)
            if outcome.status != "completed" or engine.session_id is None:
                return outcome
            pending = engine.recorder.take_pending_messages()
            if not pending:
                return outcome
            prompt, resume_id = "\n\n".join(pending), engine.session_id


def first_prompt(run: CliRun, engine: EngineBase) -> tuple[str, str | None]:
    """A resumed CLI session gets only what people said since; a fresh one the whole work order."""
    pending = engine.recorder.take_pending_messages()
    if run.resume_id:
        return "\n\n".join(pending) or CONTINUE_PROMPT, run.resume_id
    return engine.fresh_prompt(run, [work_order(run.history), *pending]), None


def run_once(run: CliRun, engine: EngineBase, proxy: KeyProxy, prompt: str, resume_id: str | None) -> Outcome:
    argv = [*run.command, *engine.arguments(run, resume_id)]
    env = agent_environment(run.home, engine.environment(proxy))
    try:
        process = subprocess.Popen(argv, cwd=run.worktree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:  # not installed, not executable, a directory...
        return Outcome("failed", error_code="cli_not_found",
                       error_message=f"could not run the {engine.label} CLI {argv[0]!r} ({exc.strerror or exc}): "
                                     f"install it or set {run.setting} to its path")
    log.info("session_id=%s: running %s%s", engine.recorder.session_id, argv[0],
             f" (resuming {resume_id})" if resume_id else "")
    stream = EventStream(process, prompt)
    engine.start_run(resume_id)
    try:
        while (event := stream.next_event()) is not _END:
            if event is not None:
                engine.on_event(event)
            else:
                engine.on_idle()
            check_limits(run.limits, engine)
    except SessionEnd as end:
        stop_group(process)
        engine.flush()
        engine.close_open_calls(end.outcome)
        return end.outcome
    except BaseException:  # a bug in reading the events must not leave the CLI running
        stop_group(process)
        raise
    exit_code = process.wait()
    kill_group(process)  # what it left running in the background goes with it
    engine.flush()
    return engine.outcome(exit_code, redact(stream.stderr_tail(), run.api_key))


def check_limits(limits: Limits, engine: EngineBase) -> None:
    """The API engines' ways out, checked as events arrive and every POLL_SECONDS between."""
    if engine.recorder.cancel_requested():
        raise SessionEnd(Outcome("cancelled", summary=engine.last_text or None))
    if limits.deadline is not None and time.monotonic() >= limits.deadline:
        raise failure(engine, "timeout", "the session ran past its column's timeoutSeconds")
    if limits.budget_usd is not None and engine.cost_usd >= limits.budget_usd:
        raise failure(engine, "budget_exceeded", f"spent ${engine.cost_usd:.4f} of a ${limits.budget_usd:.2f} budget")
    if engine.turns > limits.max_turns:
        raise failure(engine, "max_turns", f"stopped after {engine.turns} model turns (max_turns)")


def failure(engine: EngineBase, code: str, message: str) -> SessionEnd:
    return SessionEnd(Outcome("failed", summary=engine.last_text or None, error_code=code, error_message=message))


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the CLI save its transcript (so a later run can resume it); SIGKILL follows."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(TERM_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    kill_group(process)
    process.wait()


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[redacted]") if secret else text


class EventStream:
    """The CLI's stdout as parsed JSON events, read on a thread so the caller can poll its limits;
    stdin carries the prompt (no argv length limit, and it stays out of `ps`); stderr's last lines
    are kept to explain a failure."""

    def __init__(self, process: subprocess.Popen[bytes], prompt: str) -> None:
        self.process = process
        self.events: queue.Queue[Any] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        self.exited_at: float | None = None
        threading.Thread(target=self._write, args=(prompt,), daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def next_event(self) -> Any:
        """An event, None when nothing came within POLL_SECONDS, or _END once stdout is done."""
        try:
            return self.events.get(timeout=POLL_SECONDS)
        except queue.Empty:
            pass
        if self.process.poll() is None:
            return None
        # Exited, but a child it left may still hold stdout open: wait a little, then stop reading.
        self.exited_at = self.exited_at or time.monotonic()
        return _END if time.monotonic() - self.exited_at > EXIT_DRAIN_SECONDS else None

    def stderr_tail(self) -> str:
        return "\n".join(self.stderr).strip()[-2000:]

    def _write(self, prompt: str) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(prompt.encode())
            stdin.close()
        except OSError:  # the CLI exited before reading its prompt; its exit code says why
            pass

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        for raw in stdout:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                self.stderr.append(line[:500])  # not an event: a warning the CLI printed
                continue
            if isinstance(event, dict):
                self.events.put(event)
        self.events.put(_END)

    def _drain_stderr(self) -> None:
        stderr: IO[bytes] | None = self.process.stderr
        assert stderr is not None
        for raw in stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if line:
                self.stderr.append(line[:500])


class EngineBase(ABC):
    """What both CLI engines share: counting turns and cost, and turning an ended run into an
    Outcome. What differs (arguments, environment, prompt, reading the events) is a subclass's."""

    label = "agent"
    family = "anthropic"  # whose API the key proxy forwards to: anthropic | openai

    def __init__(self, recorder: SessionRecorder, price: Pricer, plan_mode: bool) -> None:
        self.recorder = recorder
        self.price = price
        self.plan_mode = plan_mode
        self.session_id: str | None = None
        self.cost_usd = 0.0
        self.turns = 0
        self.last_text = ""
        self.plan: str | None = None
        self.plan_recorded = False
        self.start_run(None)

    @abstractmethod
    def arguments(self, run: CliRun, resume_id: str | None) -> list[str]: ...

    @abstractmethod
    def environment(self, proxy: KeyProxy) -> dict[str, str]:
        """The proxy's address and placeholder key, in the variables the CLI reads."""

    @abstractmethod
    def fresh_prompt(self, run: CliRun, messages: list[str]) -> str: ...

    @abstractmethod
    def on_event(self, event: dict[str, Any]) -> None: ...

    def start_run(self, resume_id: str | None) -> None:
        self.finished = False
        self.final_text: str | None = None
        self.error: tuple[str, str] | None = None
        self.open_calls: dict[str, ToolCall] = {}  # tool calls shown, whose results have not come
        self.turn_started = time.monotonic()
        if resume_id:
            self.session_id = resume_id

    def remember_session(self, session_id: Any) -> None:
        if isinstance(session_id, str) and session_id and session_id != self.session_id:
            self.session_id = session_id
            self.recorder.remember_engine_session(session_id)

    def record_turn(self, reply: ModelReply) -> None:
        cost, known = self.price(reply.model, reply.usage)
        self.cost_usd += cost
        self.turns += 1
        self.recorder.record_reply(reply, cost, known)
        self.last_text = reply.message.text or self.last_text
        self.turn_started = time.monotonic()

    def record_plan(self, plan: str, call: ToolCall | None = None) -> None:
        """The plan, shown as a `plan` message like the API engines' submit_plan result."""
        self.plan = plan
        if not self.plan_recorded:
            self.plan_recorded = True
            call = call or ToolCall(f"plan-{self.turns}", "submit_plan", {"plan": plan})
            self.recorder.record_tool_result(call, ToolOutcome(plan, plan=plan))

    def on_idle(self) -> None:  # noqa: B027 - most CLIs need nothing when their stream pauses
        """Called when no event came for POLL_SECONDS."""

    @abstractmethod
    def flush(self) -> None:
        """Record what is still buffered; called once the run has ended, however it ended."""

    def close_open_calls(self, stopped: Outcome) -> None:
        """The tools the CLI was running when it was stopped get a result saying so, as a
        cancelled run_command does for the API engines."""
        why = "cancelled while it ran" if stopped.status == "cancelled" else f"stopped: {stopped.error_message}"
        for call in self.open_calls.values():
            self.recorder.record_tool_result(call, ToolOutcome(f"[{why}]", is_error=True))
        self.open_calls.clear()

    def outcome(self, exit_code: int, stderr_tail: str) -> Outcome:
        summary = self.final_text or self.last_text or None
        if self.error is not None:
            return Outcome("failed", summary=summary, error_code=self.error[0], error_message=self.error[1])
        if not self.finished and exit_code != 0:
            how = f"was killed by signal {-exit_code}" if exit_code < 0 else f"exited with code {exit_code}"
            detail = f": {stderr_tail}" if stderr_tail else " (it printed nothing on stderr)"
            return Outcome("failed", summary=summary, error_code="cli_error",
                           error_message=f"the {self.label} CLI {how} without a result{detail}")
        if self.plan_mode:
            plan = self.plan or summary or "(the agent gave no plan)"
            self.record_plan(plan)
            return Outcome("awaiting_plan_approval", summary=plan, plan=plan)
        return Outcome("completed", summary=summary)


def error_code_for(message: str) -> str:
    """A rejected key is a person's to fix, like the API engines' bad_key; the rest is the CLI's."""
    lowered = message.lower()
    if "invalid api key" in lowered or "authentication" in lowered or "401" in lowered:
        return "bad_key"
    return "cli_error"


def tool_output(content: Any) -> str:
    """A tool result's content: a string, or a list of blocks whose text parts are kept."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(block.get("text", "")) for block in content
                         if isinstance(block, dict) and block.get("type") == "text")
    return "" if content is None else json.dumps(content)
