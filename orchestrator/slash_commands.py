"""Slash commands: short names for prompts people send agents often.

A few built-ins, plus the project's own `.claude/commands/*.md` files (the format Claude Code
reads: optional front matter with `description:` and `argument-hint:`, then the prompt). A
message that starts with `/name` is replaced by that command's prompt, `$ARGUMENTS` by the text
after the name (appended when the prompt does not say where). `//name …` sends `/name …` as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from models import Project
from orchestrator.errors import InvalidInput
from workers.paths import PathEscape, resolve_inside

COMMANDS_DIR = ".claude/commands"
MAX_FILE_BYTES = 256 * 1024
NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"
# "/name", then the end or whitespace and the arguments; "/usr/bin/x" is a path, not a command.
INVOCATION = re.compile(rf"/({NAME})(?:\s+(.*))?", re.DOTALL)


@dataclass(frozen=True)
class SlashCommand:
    name: str  # without the slash
    description: str
    prompt: str
    source: str  # builtin | project
    argument_hint: str | None = None


BUILTINS = (
    SlashCommand("plan", "Investigate and propose a plan before changing anything", (
        "Before changing any file, investigate the code this task touches and write a plan: the "
        "steps in order, the files each step changes, the risks, and how you will test the result. "
        "Submit it with submit_plan and wait for approval before implementing."), "builtin", "[focus]"),
    SlashCommand("review", "Review the changes made on this card's branch", (
        "Review the changes made on this branch so far (git status, git log and git diff against "
        "the commit this branch started from). Look for bugs, unhandled edge cases, missing tests, "
        "unclear names and leftover debugging code. Fix what is clearly wrong, run the tests, and "
        "list anything you left for a person to decide."), "builtin", "[focus]"),
    SlashCommand("test", "Run the project's tests and fix failures", (
        "Find out how this project runs its tests (README, Makefile, package.json, pyproject.toml, "
        "CI configuration) and run them. If any fail, find the cause, fix it (the code, or the test "
        "if the test is wrong), and run them again until they pass. Report what you ran and the "
        "result."), "builtin", "[what to test]"),
    SlashCommand("fix", "Find and fix the cause of a problem", (
        "Find and fix the root cause of the problem described below, not just its symptom. "
        "Reproduce it first, then fix it, and add or update a test that fails without the fix."),
        "builtin", "<problem>"),
    SlashCommand("summarize", "Summarize the work done so far", (
        "Summarize the work on this card so far: what was changed and why, what was tested, what "
        "is left to do, and any open questions for a person. Be brief and concrete."),
        "builtin", None),
)


def list_slash_commands(project: Project) -> list[SlashCommand]:
    """The built-ins and the project's commands, by name; a project command overrides a built-in."""
    commands = {command.name: command for command in BUILTINS}
    commands.update({command.name: command for command in project_commands(Path(project.path))})
    return sorted(commands.values(), key=lambda c: (c.source != "builtin", c.name))


def expand_slash_command(db: Session, project: Project, text: str) -> str:
    """`text` with a leading `/name` replaced by that command's prompt; other text unchanged.

    The one expansion every way of messaging an agent goes through (card agents, pre-sessions,
    the assistant); an unknown `/name` is a 400 `unknown_command` naming it. `db` is unused today:
    it is in the signature so commands kept in the database can join without changing callers.
    """
    stripped = text.lstrip()
    if stripped.startswith("//") and INVOCATION.fullmatch(stripped[1:].rstrip()):
        return stripped[1:]
    match = INVOCATION.fullmatch(stripped.rstrip())
    if match is None:
        return text
    name, arguments = match.group(1), (match.group(2) or "").strip()
    commands = {command.name: command for command in list_slash_commands(project)}
    if name not in commands:
        known = ", ".join(f"/{n}" for n in sorted(commands))
        raise InvalidInput(f"unknown command /{name} (known: {known}; start with // to send the text as it is)",
                           code="unknown_command")
    return render_prompt(commands[name].prompt, arguments)


def render_prompt(prompt: str, arguments: str) -> str:
    if "$ARGUMENTS" in prompt:
        return prompt.replace("$ARGUMENTS", arguments)
    return f"{prompt}\n\n{arguments}" if arguments else prompt


# The project's commands ---------------------------------------------------------------------


def project_commands(root: Path) -> list[SlashCommand]:
    """`.claude/commands/*.md` of the project's checkout; files that lead out of it (symlinks),
    are too big, or cannot be read are skipped, so a broken file never hides the others."""
    try:
        folder = resolve_inside(root, COMMANDS_DIR)
    except PathEscape:
        return []
    if not folder.is_dir():
        return []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    found = [_read_command(root, entry.name) for entry in entries if entry.suffix == ".md"]
    return [command for command in found if command is not None]


def _read_command(root: Path, filename: str) -> SlashCommand | None:
    name = filename[:-len(".md")]
    if not re.fullmatch(NAME, name):
        return None
    try:
        path = resolve_inside(root, f"{COMMANDS_DIR}/{filename}")
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except (PathEscape, OSError):
        return None
    meta, body = _front_matter(text)
    description = meta.get("description") or _first_line(body) or f"/{name} from {COMMANDS_DIR}"
    return SlashCommand(name, description[:300], body.strip(), "project", meta.get("argument-hint") or None)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """The `key: value` lines between leading `---` lines, and the rest. Only flat string values
    are read (description, argument-hint); that is all a command's front matter needs here."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            meta = {}
            for entry in lines[1:index]:
                key, sep, value = entry.partition(":")
                if sep and key.strip():
                    meta[key.strip().lower()] = value.strip().strip("\"'")
            return meta, "".join(lines[index + 1:])
    return {}, text


def _first_line(body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()
    return ""
