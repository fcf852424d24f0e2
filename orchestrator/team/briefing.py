"""What a team agent is told: its instructions, its memories and the team's shared ones, and the
workspace's accepted decisions. `parts_for_agent` is the one source: compose_prompt adds it for a
team task (through orchestrator.team.prompting), and context and prompt-preview show it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Card
from orchestrator.errors import InvalidInput
from orchestrator.team import adrs, agents, memories, tasks
from orchestrator.team.workspaces import Team, status_columns

MODES = ("compact", "full")
CHARS_PER_TOKEN = 4  # the usual rough estimate; no tokenizer is worth a dependency here
TASK_ORDER = ("in_progress", "review", "todo", "blocked")

API_DOCS = """### Switchyard team API (base /api/v1, header Authorization: Bearer <your tb_ key>)
- GET /tasks?owner={name}&status=todo — your tasks; PATCH /tasks/:id {{"status": "in_progress"}} to start one
- POST /tasks/:id/review-report {{"summary", "changes", "test_results", "commits"}} — hand a task to review
- POST /agents/progress {{"agent_name": "{name}", "task_name", "step", "file", "detail"}} — report progress
- PUT /agents {{"name": "{name}", "status"}} — heartbeat
- GET /agents/{name}/memories; PUT /agents/{name}/memories/:key {{"content", "type", "version", "shared", "tags"}}
- GET /adr, POST /adr {{"title", "context", "decision", "rationale"}} — architecture decisions
- GET /messages?channel={name}; POST /messages {{"from": "{name}", "to", "content"}}
- GET /failures/relevant?limit=5 — what went wrong before"""


def parts_for_agent(session: Session, project_id: str, name: str) -> dict[str, str]:
    """The named parts, in prompt order; empty ones are left out."""
    agent = agents.find_agent(session, project_id, name)
    parts: dict[str, str] = {}
    if agent is not None and (agent.system_prompt or "").strip():
        parts["instructions"] = f"Your instructions as the team's {agent.name} agent:\n{agent.system_prompt.strip()}"
    remembered = memories.prompt_block(session, project_id, name)
    if remembered:
        parts["memories"] = remembered
    decisions = adrs.prompt_text(session, project_id, ("accepted",)).strip()
    if decisions:
        parts["decisions"] = decisions
    return parts


def agent_context(session: Session, team: Team, name: str) -> dict[str, Any]:
    agents.get_agent(session, team, name)
    parts = parts_for_agent(session, team.id, name)
    return {"agent_name": name, "context": "\n\n".join(parts.values()), "parts": parts}


def api_docs(session: Session, team: Team, name: str) -> dict[str, Any]:
    agent = agents.get_agent(session, team, name)
    return {"agent_name": name, "role": agent.role, "docs": API_DOCS.format(name=name)}


def prompt_preview(session: Session, team: Team, name: str, mode: str = "compact") -> dict[str, Any]:
    """compact: what the agent's tasks add to the prompt; full: the whole prompt of its current
    task as compose_prompt builds it (the compact part and the API reference without a task)."""
    if mode not in MODES:
        raise InvalidInput(f"mode: must be one of {', '.join(MODES)}")
    agent = agents.get_agent(session, team, name)
    compact = "\n\n".join(parts_for_agent(session, team.id, name).values())
    prompt = compact
    if mode == "full":
        card = current_task(session, team, name)
        prompt = _composed(session, team, card) if card is not None else \
            "\n\n".join(p for p in (compact, API_DOCS.format(name=name)) if p)
    return {"agent_name": name, "role": agent.role, "mode": mode, "prompt": prompt, "length": len(prompt),
            "token_estimate": (len(prompt) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN}


def current_task(session: Session, team: Team, name: str) -> Card | None:
    for status in TASK_ORDER:
        found = tasks.list_tasks(session, team, status=status, owner=name)
        if found:
            return found[0]
    return None


def _composed(session: Session, team: Team, card: Card) -> str:
    # Imported here: orchestrator.prompts imports team.prompting, which imports this module.
    from orchestrator.prompts import compose_prompt

    composed = compose_prompt(session, card, status_columns(session, team.id)["in_progress"])
    return f"{composed.system}\n\n{composed.user}"

