"""The codex engine: `codex exec --json` read into messages and turns.

Events, one JSON object per line: `thread.started{thread_id}`, `turn.started`,
`item.started|item.updated|item.completed{item: {id, type, ...}}`, `turn.completed{usage}`,
`turn.failed{error}` and `error{message}`. Commands, file changes, MCP tool calls and web searches
become tool_call + tool_result messages as they happen; agent messages become assistant text; a
`turn.completed` is one recorded turn. Its usage is the thread's running total (a resumed thread
counts its earlier runs too), so the turn records what was added since the last total seen for
that thread, which is kept in the CLI's home.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from workers.agent import Outcome, Pricer
from workers.engines.base import AssistantMessage, ModelReply, ToolCall, Usage
from workers.engines.cli import CliRun, EngineBase, error_code_for, tool_output
from workers.key_proxy import KeyProxy
from workers.recording import SessionRecorder
from workers.tools import ToolOutcome

TOOL_ITEMS = ("command_execution", "file_change", "mcp_tool_call", "web_search")
USAGE_FILE = ".switchyard-codex-usage.json"
CLI_NOTE = """You are running inside the Codex CLI: use its own tools to read and edit files and to
run commands. Switchyard's board tools (add_todo, add_comment, finish, submit_plan) are not
available here: when the stage's work is done, end with a short summary of what you did."""
PLAN_NOTE = """In this planning stage you run in a read-only sandbox: investigate, change nothing,
and make your final message the plan itself (files to change, the approach, how you will verify
it). A person approves it or sends it back with feedback."""


class Codex(EngineBase):
    label = "codex"
    family = "openai"

    def __init__(self, recorder: SessionRecorder, price: Pricer, plan_mode: bool, home: Path,
                 model: str | None) -> None:
        self.usage_file = home / USAGE_FILE
        self.model = model or "codex"  # codex does not name its default model in its events
        super().__init__(recorder, price, plan_mode)

    def start_run(self, resume_id: str | None) -> None:
        super().start_run(resume_id)
        self.text: str | None = None  # the latest agent message: the turn's content if it is the last
        self.closed_calls: set[str] = set()
        self.last_error: str | None = None
        self.thread_total = self._saved_total(resume_id)

    def arguments(self, run: CliRun, resume_id: str | None) -> list[str]:
        """`resume` is a subcommand of exec: exec's own options go before it; `-` reads stdin."""
        args = ["exec", "--json", "--skip-git-repo-check"]
        if run.model:
            args += ["--model", run.model]
        args += ["--sandbox", "read-only" if self.plan_mode else "workspace-write"]
        if resume_id:
            args += ["resume", resume_id]
        return [*args, "-"]

    def environment(self, proxy: KeyProxy) -> dict[str, str]:
        return {"OPENAI_BASE_URL": proxy.url, "OPENAI_API_KEY": proxy.token, "CODEX_API_KEY": proxy.token}

    def fresh_prompt(self, run: CliRun, messages: list[str]) -> str:
        """codex exec takes no system prompt, so the rules lead the first message."""
        note = f"{CLI_NOTE}\n{PLAN_NOTE}" if self.plan_mode else CLI_NOTE
        return "\n\n".join([run.system, note, "---", *(m for m in messages if m)])

    # Events -------------------------------------------------------------------------------------

    def on_event(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type", ""))
        if kind == "thread.started":
            self.remember_session(event.get("thread_id"))
        elif kind == "turn.started":
            self.turn_started = time.monotonic()
        elif kind.startswith("item."):
            self._on_item(kind, event.get("item") or {})
        elif kind == "turn.completed":
            self._on_turn_completed(event.get("usage") or {})
        elif kind == "turn.failed":
            message = str((event.get("error") or {}).get("message") or "the turn failed")
            self.error = (error_code_for(message), message)
        elif kind == "error":
            self.last_error = str(event.get("message") or "codex reported an error")

    def _on_item(self, kind: str, item: dict[str, Any]) -> None:
        item_type, item_id = item.get("type"), str(item.get("id", ""))
        if item_type == "agent_message" and kind == "item.completed":
            self._flush_text()
            self.text = str(item.get("text") or "") or None
        elif item_type in TOOL_ITEMS and item_id not in self.closed_calls:
            if item_id not in self.open_calls:
                self.open_calls[item_id] = self._record_call(ToolCall(item_id, str(item_type), _tool_input(item)))
            if kind == "item.completed":
                self.closed_calls.add(item_id)
                self.recorder.record_tool_result(self.open_calls.pop(item_id), _tool_result(item))

    def _record_call(self, call: ToolCall) -> ToolCall:
        """Shown as it starts, with any text said before it; the turn's usage comes at its end."""
        text, self.text = self.text or "", None
        reply = ModelReply(AssistantMessage(text, (call,)), Usage(), self.model, "tool_use")
        self.recorder.record_reply(reply, 0.0, True, turn=False)
        self.last_text = text or self.last_text
        return call

    def _flush_text(self) -> None:
        if self.text:
            reply = ModelReply(AssistantMessage(self.text), Usage(), self.model, "end_turn")
            self.recorder.record_reply(reply, 0.0, True, turn=False)
            self.last_text, self.text = self.text, None

    def _on_turn_completed(self, usage: dict[str, Any]) -> None:
        total = tuple(int(usage.get(key) or 0) for key in ("input_tokens", "cached_input_tokens", "output_tokens"))
        added = [max(0, now - before) for now, before in zip(total, self.thread_total, strict=True)]
        self.thread_total = total
        self._save_total()
        text, self.text = self.text or "", None
        reply = ModelReply(
            message=AssistantMessage(text),
            # OpenAI counts cached tokens inside the input tokens; Switchyard keeps them apart.
            usage=Usage(input_tokens=max(0, added[0] - added[1]), output_tokens=added[2], cache_read_tokens=added[1]),
            model=self.model, stop_reason="end_turn",
            duration_ms=int((time.monotonic() - self.turn_started) * 1000),
        )
        self.record_turn(reply)
        self.finished = True
        self.final_text = text or self.final_text

    def flush(self) -> None:
        self._flush_text()

    def outcome(self, exit_code: int, stderr_tail: str) -> Outcome:
        if self.error is None and not self.finished and self.last_error:
            self.error = (error_code_for(self.last_error), self.last_error)
        return super().outcome(exit_code, stderr_tail)

    # The thread's running usage ------------------------------------------------------------------

    def _saved_total(self, thread_id: str | None) -> tuple[int, ...]:
        saved = self._load_totals().get(thread_id or "") if thread_id else None
        return tuple(int(n) for n in saved) if isinstance(saved, list) and len(saved) == 3 else (0, 0, 0)

    def _save_total(self) -> None:
        if self.session_id:
            totals = self._load_totals()
            totals[self.session_id] = list(self.thread_total)
            self.usage_file.write_text(json.dumps(totals))

    def _load_totals(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.usage_file.read_text())
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}


def _tool_input(item: dict[str, Any]) -> dict[str, Any]:
    kind = item.get("type")
    if kind == "command_execution":
        return {"command": item.get("command", "")}
    if kind == "file_change":
        return {"changes": item.get("changes") or []}
    if kind == "mcp_tool_call":
        return {"server": item.get("server"), "tool": item.get("tool"), "arguments": item.get("arguments")}
    return {"query": item.get("query", "")}


def _tool_result(item: dict[str, Any]) -> ToolOutcome:
    kind, status = item.get("type"), item.get("status")
    if kind == "command_execution":
        code = item.get("exit_code")
        output = str(item.get("aggregated_output") or "")
        if code not in (None, 0):
            output += f"\n[exit code {code}]"
        return ToolOutcome(output, is_error=status in ("failed", "declined") or code not in (None, 0))
    if kind == "file_change":
        changes = "\n".join(f"{c.get('kind', 'update')} {c.get('path', '')}" for c in item.get("changes") or [])
        return ToolOutcome(changes, is_error=status == "failed")
    if kind == "mcp_tool_call":
        error = (item.get("error") or {}).get("message")
        output = error or tool_output((item.get("result") or {}).get("content"))
        return ToolOutcome(str(output), is_error=status == "failed" or bool(error))
    return ToolOutcome(f"searched: {item.get('query', '')}")
