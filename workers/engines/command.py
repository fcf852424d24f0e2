"""The `command` engine: a team's `custom` agent is a command of its own (a script, a wrapper
around some other agent) that Switchyard runs in the card's worktree.

The command comes from the agent's `command_template`, which only a project's owner or editor
may set (never an agent key), and runs with bash like a project script. `{model}` and
`{worktree}` in it are replaced by shell-quoted values. The composed prompt goes on stdin, so it
never meets the shell or `ps`. The command sees the allowlisted environment only. When the agent
has a key, the command gets a loopback key proxy as `OPENAI_BASE_URL` with a placeholder
`OPENAI_API_KEY`, as the codex CLI does, so whatever it runs never holds the real key.

Its output becomes the session's one assistant message (and its summary, or its plan in plan
mode). A command reports no tokens, so its turn costs nothing. A person's message sent while it
runs starts one more run, with the message added to the prompt.
"""

from __future__ import annotations

import math
import shlex
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from workers.agent import Limits, Outcome
from workers.commands import CommandResult, agent_environment, run_command
from workers.engines.base import AssistantMessage, ModelReply, ToolCall, Usage
from workers.engines.cli import redact
from workers.key_proxy import KeyProxy
from workers.recording import SessionRecorder
from workers.tools import ToolOutcome

COMMAND_ENGINES = ("command",)
PLACEHOLDERS = ("model", "worktree")
SUMMARY_CHARS = 2000
ERROR_TAIL_CHARS = 1000


@dataclass(frozen=True)
class CommandRun:
    """One card session's run of an agent's command, as the dispatcher prepared it."""

    template: str
    agent_name: str
    worktree: Path
    home: Path  # the command's HOME, outside the worktree
    api_key: str  # "" when the agent has no key: then there is no proxy either
    base_url: str | None
    model: str | None
    prompt: str  # the composed system prompt and work order, as one text
    plan_mode: bool
    limits: Limits
    max_output: int


def command_line(template: str, model: str | None, worktree: Path) -> str:
    """The template with its placeholders filled in; other braces are left as they are."""
    values = {"model": model or "", "worktree": str(worktree)}
    for name in PLACEHOLDERS:
        template = template.replace("{" + name + "}", shlex.quote(values[name]))
    return template


def run_command_agent(run: CommandRun, recorder: SessionRecorder) -> Outcome:
    run.home.mkdir(parents=True, exist_ok=True)
    try:
        proxy: AbstractContextManager[KeyProxy | None] = (
            KeyProxy("openai", run.api_key, run.base_url) if run.api_key else nullcontext())
    except ValueError as exc:
        return Outcome("failed", error_code="bad_config", error_message=f"the credential's baseUrl: {exc}")
    with proxy as running:
        extra = {"SWITCHYARD_AGENT": run.agent_name, "SWITCHYARD_MODEL": run.model or ""}
        if running is not None:
            extra |= {"OPENAI_BASE_URL": running.url, "OPENAI_API_KEY": running.token}
        env = agent_environment(run.home, extra)
        prompt = "\n\n".join([run.prompt, *recorder.take_pending_messages()])
        while True:
            outcome = _run_once(run, recorder, env, prompt)
            pending = recorder.take_pending_messages() if outcome.status == "completed" else []
            if not pending:
                return outcome
            prompt = "\n\n".join([prompt, f"Your output was:\n{outcome.summary or ''}", *pending])


def _run_once(run: CommandRun, recorder: SessionRecorder, env: dict[str, str], prompt: str) -> Outcome:
    started = time.monotonic()
    timeout = run.limits.deadline - started if run.limits.deadline is not None else math.inf
    result = run_command(command_line(run.template, run.model, run.worktree), run.worktree, timeout,
                         run.max_output, env, cancel=recorder.cancel_requested, stdin=prompt)
    output = redact(result.output, run.api_key).strip()
    if result.cancelled:
        return Outcome("cancelled", summary=_tail(output, SUMMARY_CHARS) or None)
    if result.timed_out:
        return Outcome("failed", summary=_tail(output, SUMMARY_CHARS) or None, error_code="timeout",
                       error_message="the agent's command ran past its column's timeoutSeconds and was killed")
    if result.exit_code != 0:
        return _failed(run, result, output)
    reply = ModelReply(AssistantMessage(output or "(the command printed nothing)"), Usage(),
                       run.model or "command", "end_turn", duration_ms=int((time.monotonic() - started) * 1000))
    recorder.record_reply(reply, 0.0, True)
    summary = _tail(output, SUMMARY_CHARS) or None
    if run.plan_mode:
        plan = output or "(the agent gave no plan)"
        recorder.record_tool_result(ToolCall("plan-command", "submit_plan", {"plan": plan}),
                                    ToolOutcome(plan, plan=plan))
        return Outcome("awaiting_plan_approval", summary=plan, plan=plan)
    return Outcome("completed", summary=summary)


def _failed(run: CommandRun, result: CommandResult, output: str) -> Outcome:
    code = result.exit_code or 0
    how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
    detail = f": {_tail(output, ERROR_TAIL_CHARS)}" if output else " (it printed nothing)"
    return Outcome("failed", summary=_tail(output, SUMMARY_CHARS) or None, error_code="command_failed",
                   error_message=f"agent {run.agent_name}'s command {how}{detail}")


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]

