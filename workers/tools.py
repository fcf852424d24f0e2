"""The built-in tools an agent may call, with the names and inputs integrations rely on.

File tools work inside the worktree only (every path goes through `resolve_inside`); board tools
hand their effect to a `Board` (the recorder), which writes it to the database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import git

from workers.commands import run_command
from workers.engines.base import ToolCall, ToolSpec
from workers.paths import PathEscape, resolve_inside

MAX_READ_BYTES = 200_000
MAX_LIST_ENTRIES = 2_000
MAX_SEARCH_MATCHES = 500


class Board(Protocol):
    """Where board tools write: todos and comments on the card, the plan, the summary."""

    def add_todo(self, text: str) -> str: ...
    def complete_todo(self, todo_id: str) -> bool: ...
    def add_comment(self, body: str) -> str: ...


@dataclass(frozen=True)
class ToolOutcome:
    output: str
    is_error: bool = False
    finished: str | None = None  # the summary, when the agent called finish
    plan: str | None = None  # the plan, when the agent called submit_plan


class ToolError(Exception):
    """A mistake the model made (bad path, missing argument); it sees the message and goes on."""


def _spec(name: str, description: str, properties: dict[str, Any], required: list[str]) -> ToolSpec:
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return ToolSpec(name=name, description=description, input_schema=schema)


_STR = {"type": "string"}
_INT = {"type": "integer"}
FILE_TOOLS = (
    _spec("read_file", "Read a text file of the worktree; offset and limit count lines (offset from 1).",
          {"path": _STR, "offset": _INT, "limit": _INT}, ["path"]),
    _spec("write_file", "Create or overwrite a file with the given content.",
          {"path": _STR, "content": _STR}, ["path", "content"]),
    _spec("edit_file", "Replace old_string, which must occur exactly once, with new_string.",
          {"path": _STR, "old_string": _STR, "new_string": _STR}, ["path", "old_string", "new_string"]),
    _spec("list_files", "List files under a directory of the worktree (default: its root).",
          {"path": _STR}, []),
    _spec("search_files", "Search file contents with a regular expression; prints path:line: text.",
          {"pattern": _STR, "path": _STR}, ["pattern"]),
    _spec("run_command", "Run a shell command in the worktree; timeout in seconds.",
          {"command": _STR, "timeout": _INT}, ["command"]),
)
BOARD_TOOLS = (
    _spec("submit_plan", "Submit your plan for a person's approval; then wait.", {"plan": _STR}, ["plan"]),
    _spec("add_todo", "Add a todo to the card.", {"text": _STR}, ["text"]),
    _spec("complete_todo", "Mark one of the card's todos done.", {"id": _STR}, ["id"]),
    _spec("add_comment", "Comment on the card for the people working on it.", {"body": _STR}, ["body"]),
    _spec("finish", "End the session with a summary of what you did.", {"summary": _STR}, ["summary"]),
)
ALL_TOOLS = FILE_TOOLS + BOARD_TOOLS
# Planning investigates; it changes no file until a person approves the plan.
PLAN_TOOLS = tuple(t for t in ALL_TOOLS if t.name not in ("write_file", "edit_file"))


@dataclass
class Toolbox:
    root: Path
    board: Board
    env: dict[str, str]
    command_timeout: float = 120.0
    max_command_timeout: float = 1800.0
    max_output: int = 30_000
    cancel: threading.Event | None = None

    def execute(self, call: ToolCall) -> ToolOutcome:
        handler: Callable[[dict[str, Any]], ToolOutcome] | None = getattr(self, f"_tool_{call.name}", None)
        if handler is None:
            return ToolOutcome(f"unknown tool {call.name!r}", is_error=True)
        try:
            return handler(call.input)
        except (ToolError, PathEscape) as exc:
            return ToolOutcome(str(exc), is_error=True)
        except (OSError, UnicodeDecodeError) as exc:
            return ToolOutcome(f"{call.name} failed: {exc}", is_error=True)

    # File tools --------------------------------------------------------------------------------

    def _tool_read_file(self, args: dict[str, Any]) -> ToolOutcome:
        path = self._file(args)
        data = path.read_bytes()[:MAX_READ_BYTES].decode("utf-8", errors="replace")
        lines = data.splitlines(keepends=True)
        start = max(int(args.get("offset") or 1), 1) - 1
        end = start + int(args["limit"]) if args.get("limit") else len(lines)
        return ToolOutcome("".join(lines[start:end]) or "(empty)")

    def _tool_write_file(self, args: dict[str, Any]) -> ToolOutcome:
        path = resolve_inside(self.root, _text(args, "path"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_text(args, "content"))
        return ToolOutcome(f"wrote {path.relative_to(self.root.resolve())}")

    def _tool_edit_file(self, args: dict[str, Any]) -> ToolOutcome:
        path = self._file(args)
        old, new = _text(args, "old_string"), _text(args, "new_string")
        content = path.read_text()
        count = content.count(old) if old else 0
        if count != 1:
            raise ToolError(f"old_string must occur exactly once in {args['path']}; found {count}")
        path.write_text(content.replace(old, new, 1))
        return ToolOutcome(f"edited {args['path']}")

    def _tool_list_files(self, args: dict[str, Any]) -> ToolOutcome:
        base = resolve_inside(self.root, args.get("path") or ".")
        if not base.is_dir():
            raise ToolError(f"{args.get('path')} is not a directory")
        entries = []
        for current, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            rel = Path(current).relative_to(self.root.resolve())
            entries.extend(str(rel / name) for name in sorted(names))
            if len(entries) >= MAX_LIST_ENTRIES:
                return ToolOutcome("\n".join(entries[:MAX_LIST_ENTRIES]) + "\n[... more files not listed]")
        return ToolOutcome("\n".join(entries) or "(no files)")

    def _tool_search_files(self, args: dict[str, Any]) -> ToolOutcome:
        pattern = _text(args, "pattern")
        base = resolve_inside(self.root, args.get("path") or ".")
        repo = git.Repo(self.root)
        output = repo.git.grep("-n", "-I", "-E", "--untracked", "-e", pattern, "--", str(base),
                               with_exceptions=False)
        lines = output.splitlines()
        if len(lines) > MAX_SEARCH_MATCHES:
            lines = [*lines[:MAX_SEARCH_MATCHES], f"[... {len(lines) - MAX_SEARCH_MATCHES} more matches]"]
        return ToolOutcome("\n".join(lines) or "no matches")

    def _tool_run_command(self, args: dict[str, Any]) -> ToolOutcome:
        timeout = min(float(args.get("timeout") or self.command_timeout), self.max_command_timeout)
        cancelled = self.cancel.is_set if self.cancel is not None else None
        result = run_command(_text(args, "command"), self.root, timeout, self.max_output, self.env, cancelled)
        if result.timed_out:
            return ToolOutcome(f"{result.output}\n[command timed out after {timeout:g} s and was killed]", True)
        if result.cancelled:
            return ToolOutcome(f"{result.output}\n[command cancelled]", True)
        return ToolOutcome(f"{result.output}\n[exit code {result.exit_code}]", is_error=result.exit_code != 0)

    # Board tools -------------------------------------------------------------------------------

    def _tool_submit_plan(self, args: dict[str, Any]) -> ToolOutcome:
        plan = _text(args, "plan")
        return ToolOutcome("plan submitted; waiting for approval", plan=plan)

    def _tool_add_todo(self, args: dict[str, Any]) -> ToolOutcome:
        return ToolOutcome(f"todo {self.board.add_todo(_text(args, 'text'))} added")

    def _tool_complete_todo(self, args: dict[str, Any]) -> ToolOutcome:
        todo_id = _text(args, "id")
        if not self.board.complete_todo(todo_id):
            raise ToolError(f"no todo {todo_id} on this card")
        return ToolOutcome(f"todo {todo_id} done")

    def _tool_add_comment(self, args: dict[str, Any]) -> ToolOutcome:
        return ToolOutcome(f"comment {self.board.add_comment(_text(args, 'body'))} added")

    def _tool_finish(self, args: dict[str, Any]) -> ToolOutcome:
        summary = _text(args, "summary")
        return ToolOutcome("finished", finished=summary)

    def _file(self, args: dict[str, Any]) -> Path:
        path = resolve_inside(self.root, _text(args, "path"))
        if not path.is_file():
            raise ToolError(f"{args['path']} is not a file")
        return path


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise ToolError(f"argument {key!r} is required and must be a string")
    return value
