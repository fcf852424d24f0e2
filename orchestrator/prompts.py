"""Prompt composition: the one function that builds what an agent is told.

system = agent rules (tools, worktree, branch) + project context + the column's prompt rendered
as a Jinja2 template over the card; user = the card's work order and what earlier stages left.
The preview endpoint calls the same function, so what it shows is exactly what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import PRIORITY_NAMES, AgentSession, Attachment, Card, Column, Comment, Project, Todo
from orchestrator.agent_sessions import active_session, is_relay
from orchestrator.card_summary import session_accounts
from orchestrator.errors import InvalidInput
from orchestrator.team import prompting as team_prompting
from orchestrator.user_settings import relays_summaries

RECENT_COMMENTS = 10
_jinja = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)

AGENT_RULES = """You are a coding agent working for Switchyard on one card of a kanban board.
You work in a git worktree of {project}, on branch {branch}; every path you use is relative to
it, and nothing outside it is reachable. Use the tools: read_file, list_files, search_files to
look around; write_file and edit_file to change files; run_command to build and test.
Board tools: add_todo and complete_todo to track your steps, add_comment to tell the people on
the card something, and finish with a summary when the stage's work is done.
Your changes are committed on the card's branch when the session ends."""

PLAN_RULES = """This stage is planning. Investigate, but change no file: when you know what to do,
call submit_plan with the plan (files to change, the approach, how you will verify it) and wait.
A person approves it or sends it back with feedback."""


RELAY_INTRO = """Earlier sessions on this card, oldest first. Carry on from where they left off:
the worktree holds their committed work.

"""


@dataclass(frozen=True)
class Prompt:
    system: str
    user: str


def check_template(text: str) -> None:
    """Refuse a column prompt that is not a valid template, when it is saved, not when it runs."""
    try:
        _jinja.parse(text)
    except TemplateError as exc:
        raise InvalidInput(f"prompt: not a valid template: {exc}") from None


def compose_prompt(session: Session, card: Card, column: Column, step_prompt: str | None = None,
                   plan_mode: bool | None = None, relay: bool | None = None) -> Prompt:
    """`plan_mode` overrides the column's: an approved plan's session implements. `relay` (by
    default: whether the card's waiting session in this column is a relay) adds an account of
    every earlier session to the work order."""
    project = session.get(Project, card.project_id)
    assert project is not None
    summaries = previous_summaries(session, card.id)
    if relay is None:
        relay = _relaying(session, card, column)
    relayed = session_accounts(session, card.id, ended_only=True) if relay else []
    context = template_context(card, project, column, summaries)
    try:
        stage = _jinja.from_string(step_prompt if step_prompt is not None else column.prompt).render(context)
    except TemplateError as exc:
        raise InvalidInput(f"the prompt of column {column.name!r} cannot be rendered: {exc}",
                           code="bad_prompt_template") from None
    rules = AGENT_RULES.format(project=project.name, branch=card.branch or "(created when the session starts)")
    parts = [rules]
    if column.plan_mode if plan_mode is None else plan_mode:
        parts.append(PLAN_RULES)
    if project.description:
        parts.append(f"About the project:\n{project.description}")
    parts.extend(team_prompting.agent_parts(session, card))  # a team task's agent instructions
    if stage.strip():
        parts.append(f"This stage ({column.name}):\n{stage.strip()}")
    return Prompt(system="\n\n".join(parts), user=_work_order(session, card, summaries, relayed))


def template_context(card: Card, project: Project, column: Column, summaries: list[str]) -> dict[str, Any]:
    return {
        "card": {"title": card.title, "prompt": card.prompt, "labels": card.labels, "shortId": card.short_id,
                 "priority": PRIORITY_NAMES[card.priority], "branch": card.branch},
        "project": {"name": project.name, "path": project.path, "baseBranch": project.base_branch,
                    "description": project.description},
        "column": {"name": column.name},
        "previous_summaries": summaries,
    }


def previous_summaries(session: Session, card_id: str) -> list[str]:
    """What earlier sessions on the card reported, oldest first, one per column; nothing when the
    context relay mode (PUT /api/settings/context-relay) is "none"."""
    if not relays_summaries(session):
        return []
    rows = session.execute(
        select(Column.name, AgentSession.summary)
        .join(Column, Column.id == AgentSession.column_id)
        .where(AgentSession.card_id == card_id, AgentSession.status == "completed",
               AgentSession.summary.is_not(None))
        .order_by(AgentSession.ended_at)
    ).all()
    return [f"{name}: {summary}" for name, summary in rows]


def _relaying(session: Session, card: Card, column: Column) -> bool:
    current = active_session(session, card.id)
    return current is not None and current.column_id == column.id and is_relay(session, current.id)


def _work_order(session: Session, card: Card, summaries: list[str], relayed: list[str]) -> str:
    parts = [f"# {card.title}", card.prompt.strip() or "(no further description)"]
    attachments = session.scalars(select(Attachment.filename).where(Attachment.card_id == card.id)).all()
    if attachments:
        parts.append("Attachments: " + ", ".join(attachments))
    todos = session.scalars(
        select(Todo).where(Todo.card_id == card.id, Todo.done.is_(False)).order_by(Todo.position)
    ).all()
    if todos:
        parts.append("Open todos:\n" + "\n".join(f"- [{t.id}] {t.text}" for t in todos))
    comments = session.scalars(
        select(Comment).where(Comment.card_id == card.id).order_by(Comment.created_at.desc()).limit(RECENT_COMMENTS)
    ).all()
    if comments:
        parts.append("Recent comments:\n" + "\n".join(f"- {c.author_name or c.author_type}: {c.body}"
                                                      for c in reversed(comments)))
    if relayed:
        parts.append(RELAY_INTRO + "\n\n".join(relayed))
    elif summaries:
        parts.append("Earlier stages reported:\n" + "\n".join(f"- {s}" for s in summaries))
    return "\n\n".join(parts)
