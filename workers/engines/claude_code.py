"""The claude-code engine: `claude -p --output-format stream-json` read into messages and turns.

Events, one JSON object per line: `system` (subtype `init` carries the session id), `assistant`
(one API message, often spread over several events that repeat its id and usage, one content
block each), `user` (tool results), `stream_event` (raw text deltas) and a final `result`.
One assistant message is one recorded turn, with its usage and cache tokens.
"""

from __future__ import annotations

import time
from typing import Any

from workers.engines.base import AssistantMessage, ModelReply, ToolCall, Usage
from workers.engines.cli import CliRun, EngineBase, error_code_for, tool_output
from workers.key_proxy import KeyProxy
from workers.tools import ToolOutcome

PLAN_TOOL = "ExitPlanMode"
CLI_NOTE = """You are running inside the Claude Code CLI: use its own tools to read, edit and search
files and to run commands. Switchyard's board tools (add_todo, add_comment, finish, submit_plan)
are not available here: when the stage's work is done, end with a short summary of what you did."""
PLAN_NOTE = """In this planning stage, present your plan with the ExitPlanMode tool; a person
approves it or sends it back with feedback."""


class ClaudeCode(EngineBase):
    label = "claude"
    family = "anthropic"
    model: str | None = None  # the model the CLI reports using

    def start_run(self, resume_id: str | None) -> None:
        super().start_run(resume_id)
        self.pending: dict[str, Any] | None = None  # the assistant message being gathered
        self.recorded: set[str] = set()  # ids of assistant messages already recorded as turns
        self.calls: dict[str, ToolCall] = {}

    def arguments(self, run: CliRun, resume_id: str | None) -> list[str]:
        """The prompt goes on stdin; Bash is allowed outside planning, as run_command is for the
        API engines (the proxy keeps the key out of its reach)."""
        args = ["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages",
                "--permission-mode", "plan" if self.plan_mode else "acceptEdits"]
        if not self.plan_mode:
            args += ["--allowedTools", "Bash"]
        if run.model:
            args += ["--model", run.model]
        if resume_id:
            args += ["--resume", resume_id]
        note = f"{CLI_NOTE}\n{PLAN_NOTE}" if self.plan_mode else CLI_NOTE
        return [*args, "--append-system-prompt", f"{run.system}\n\n{note}"]

    def environment(self, proxy: KeyProxy) -> dict[str, str]:
        return {"ANTHROPIC_BASE_URL": proxy.url, "ANTHROPIC_API_KEY": proxy.token,
                "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}

    def fresh_prompt(self, run: CliRun, messages: list[str]) -> str:
        return "\n\n".join(m for m in messages if m)  # the system prompt rides on its own flag

    # Events -------------------------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "stream_event":
            self._on_stream(event.get("event") or {})
            return
        if kind == "assistant":
            self._on_assistant(event.get("message") or {})
            return
        self.flush()
        if kind == "system" and event.get("subtype") == "init":
            self.remember_session(event.get("session_id"))
            self.model = event.get("model") or self.model
        elif kind == "user":
            self._on_tool_results(event.get("message") or {})
        elif kind == "result":
            self._on_result(event)

    def on_idle(self) -> None:
        """A message that called a tool is complete once the stream pauses: the CLI is running
        the tool now, and the call should be visible while it runs."""
        if self.pending is not None and self.pending["calls"]:
            self.flush()

    def _on_stream(self, raw: dict[str, Any]) -> None:
        """Raw API events: text deltas for live display, and each message's final usage."""
        kind, delta = raw.get("type"), raw.get("delta") or {}
        if kind == "content_block_delta" and delta.get("type") == "text_delta":
            self.recorder.on_text(str(delta.get("text", "")))
        elif kind == "message_start":
            message = raw.get("message") or {}
            self._message(message.get("id"), message.get("model"), message.get("usage"))
        elif kind == "message_delta" and self.pending is not None:
            _add_usage(self.pending, raw.get("usage"))

    def _on_assistant(self, message: dict[str, Any]) -> None:
        """Claude Code prints one event per content block, repeating the message's id and usage;
        the blocks of one message are gathered into one turn."""
        message_id = message.get("id") or f"anonymous-{self.turns}"
        if message_id in self.recorded:  # a block that came after the turn was recorded
            texts, calls = self._blocks(message.get("content"))
            self.open_calls.update((call.id, call) for call in calls)
            reply = ModelReply(AssistantMessage("\n\n".join(texts), tuple(calls)), Usage(), self.model_of(), "tool_use")
            self.recorder.record_reply(reply, 0.0, True, turn=False)
            return
        pending = self._message(message_id, message.get("model"), message.get("usage"))
        texts, calls = self._blocks(message.get("content"))
        pending["texts"] += texts
        pending["calls"] += calls

    def _message(self, message_id: Any, model: Any, usage: Any) -> dict[str, Any]:
        if self.pending is not None and self.pending["id"] != message_id:
            self.flush()
        if self.pending is None:
            self.pending = {"id": message_id, "texts": [], "calls": [], "usage": {}, "model": ""}
        self.pending["model"] = model or self.pending["model"]
        _add_usage(self.pending, usage)
        return self.pending

    def _blocks(self, content: Any) -> tuple[list[str], list[ToolCall]]:
        texts, calls = [], []
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "text" and block.get("text"):
                texts.append(str(block["text"]))
            elif block.get("type") == "tool_use":
                call = ToolCall(str(block.get("id", "")), str(block.get("name", "")), block.get("input") or {})
                calls.append(call)
                self.calls[call.id] = call
                if call.name == PLAN_TOOL and self.plan_mode:
                    self.plan = str(call.input.get("plan", "")) or self.plan
        return texts, calls

    def model_of(self, pending: dict[str, Any] | None = None) -> str:
        return str((pending or {}).get("model") or self.model or "claude")

    def flush(self) -> None:
        """One assistant message → one turn, its usage counted once."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        self.recorded.add(pending["id"])
        self.open_calls.update((call.id, call) for call in pending["calls"])
        self.model = self.model_of(pending)
        usage = pending["usage"]
        reply = ModelReply(
            message=AssistantMessage("\n\n".join(pending["texts"]), tuple(pending["calls"])),
            usage=Usage(input_tokens=usage.get("input_tokens", 0), output_tokens=usage.get("output_tokens", 0),
                        cache_read_tokens=usage.get("cache_read_input_tokens", 0),
                        cache_write_tokens=usage.get("cache_creation_input_tokens", 0)),
            model=self.model, stop_reason="tool_use" if pending["calls"] else "end_turn",
            duration_ms=int((time.monotonic() - self.turn_started) * 1000),
        )
        self.record_turn(reply)

    def _on_tool_results(self, message: dict[str, Any]) -> None:
        content = message.get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") != "tool_result":
                continue
            call_id = str(block.get("tool_use_id", ""))
            call = self.calls.get(call_id) or ToolCall(call_id, "unknown", {})
            self.open_calls.pop(call_id, None)
            output = tool_output(block.get("content"))
            if call.name == PLAN_TOOL and self.plan_mode and self.plan:
                self.record_plan(self.plan, call)  # a denial in -p mode is how plan mode waits
            else:
                self.recorder.record_tool_result(call, ToolOutcome(output, is_error=bool(block.get("is_error"))))
        self.turn_started = time.monotonic()

    def _on_result(self, event: dict[str, Any]) -> None:
        self.finished = True
        self.remember_session(event.get("session_id"))
        text = event.get("result")
        self.final_text = text if isinstance(text, str) and text else None
        if event.get("is_error") or event.get("subtype", "success") != "success":
            message = self.final_text or f"claude ended with {event.get('subtype', 'an error')}"
            self.error = (error_code_for(message), message)


def _add_usage(pending: dict[str, Any], usage: Any) -> None:
    """Usage arrives in pieces (message_start, message_delta, each block's event): keep the
    largest count seen per field, since every piece reports the message's total so far."""
    for key, value in (usage or {}).items() if isinstance(usage, dict) else ():
        if isinstance(value, int):
            pending["usage"][key] = max(pending["usage"].get(key, 0), value)
