"""Board templates: two built in (defined here, read-only) and any number made by users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import BoardTemplate
from orchestrator.access import Actor
from orchestrator.credentials import require_usable_credential
from orchestrator.errors import Conflict, Forbidden, NotFound
from orchestrator.prompts import check_template

PLAN_PROMPT = """You are planning work on card {{ card.title }} in {{ project.name }}.
Read the code that the card touches, then submit a plan with submit_plan: the files to change,
the approach, and how you will verify it. Do not change any file in this stage."""

IMPLEMENT_PROMPT = """Implement card {{ card.title }} in {{ project.name }}.
{% if previous_summaries %}Earlier stages reported:
{% for s in previous_summaries %}- {{ s }}
{% endfor %}{% endif %}Make the change in small steps, run the project's tests with run_command,
and call finish with a summary of what you changed and how you checked it."""

REVIEW_PROMPT = """Review the changes on this card's branch for {{ card.title }}.
Check correctness, tests and readability; fix small problems yourself and list anything larger
with add_comment. Call finish with your verdict."""

IN_PROGRESS_PROMPT = """Work on card {{ card.title }} in {{ project.name }}: make the change it
asks for, run the tests with run_command, and call finish with a summary of what you did."""

BUILTIN_TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "id": "tpl_kanban_default",
        "name": "Kanban Default",
        "columns": [
            {"name": "Backlog", "columnType": "backlog"},
            {"name": "In Progress", "columnType": "active", "prompt": IN_PROGRESS_PROMPT},
            {"name": "Done", "columnType": "done"},
        ],
    },
    {
        "id": "tpl_agent_pipeline",
        "name": "Agent Pipeline",
        "columns": [
            {"name": "Backlog", "columnType": "backlog"},
            {"name": "Plan", "columnType": "active", "prompt": PLAN_PROMPT, "planMode": True},
            {"name": "Implement", "columnType": "active", "prompt": IMPLEMENT_PROMPT},
            {"name": "Review", "columnType": "active", "prompt": REVIEW_PROMPT},
            {"name": "Done", "columnType": "done"},
        ],
    },
)
DEFAULT_TEMPLATE_ID = "tpl_kanban_default"
_BUILTIN_BY_ID = {t["id"]: t for t in BUILTIN_TEMPLATES}


def template_view(template: BoardTemplate | dict[str, Any]) -> dict[str, Any]:
    """Built-in and stored templates in one shape: {id, name, columns, builtin}."""
    if isinstance(template, dict):
        return {**template, "builtin": True}
    return {"id": template.id, "name": template.name, "columns": template.columns, "builtin": False}


def list_templates(session: Session) -> list[dict[str, Any]]:
    stored = session.scalars(select(BoardTemplate).order_by(BoardTemplate.created_at))
    return [template_view(t) for t in BUILTIN_TEMPLATES] + [template_view(t) for t in stored]


def get_template(session: Session, template_id: str) -> dict[str, Any]:
    if template_id in _BUILTIN_BY_ID:
        return template_view(_BUILTIN_BY_ID[template_id])
    stored = session.get(BoardTemplate, template_id)
    if stored is None:
        raise NotFound.of("board template", template_id)
    return template_view(stored)


def create_template(
    session: Session, actor: Actor, name: str, columns: list[dict[str, Any]]
) -> dict[str, Any]:
    _check_credentials(session, actor, columns)
    template = BoardTemplate(name=name, columns=columns, created_by=actor.user_id)
    session.add(template)
    session.flush()
    return template_view(template)


def update_template(
    session: Session, actor: Actor, template_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    template = _stored(session, actor, template_id)
    _check_credentials(session, actor, changes.get("columns", []))
    for key in ("name", "columns"):
        if key in changes:
            setattr(template, key, changes[key])
    return template_view(template)


def delete_template(session: Session, actor: Actor, template_id: str) -> None:
    session.delete(_stored(session, actor, template_id))


def _check_credentials(session: Session, actor: Actor, columns: list[dict[str, Any]]) -> None:
    """A template's columns may name only credentials the actor could attach, and valid prompts."""
    for spec in columns:
        if spec.get("credentialId"):
            require_usable_credential(session, actor, spec["credentialId"])
        if spec.get("prompt"):
            check_template(spec["prompt"])


def _stored(session: Session, actor: Actor, template_id: str) -> BoardTemplate:
    """A user-made template the actor may change: its author's, or any for an admin."""
    if template_id in _BUILTIN_BY_ID:
        raise Conflict(f"template {template_id} is built in and cannot be changed", code="builtin_template")
    template = session.get(BoardTemplate, template_id)
    if template is None:
        raise NotFound.of("board template", template_id)
    if not (actor.is_admin or template.created_by == actor.user_id):
        raise Forbidden(f"template {template_id} belongs to another user")
    return template
