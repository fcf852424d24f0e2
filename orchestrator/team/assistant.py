"""Seed 004's assistant routes. Templates and agent suggestions are fixed tables; translating an
instruction into a task and generating Sprint 0 ask the project assistant's model (the credential
the project assistant resolves: the project's, else its organization's), and without one answer
a clear error instead of guessing.

The model call happens outside any transaction: callers resolve the model (`assistant_model`),
end their transaction, call `ask_json`, then write in a new one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from orchestrator.credentials import API_FAMILY, resolve_credential
from orchestrator.errors import InvalidInput, UpstreamError
from orchestrator.team import tasks
from orchestrator.team.workspaces import Team
from workers.engines.api_clients import API_ENGINES, api_client
from workers.engines.base import ProviderError, UserMessage

AGENT_TEMPLATES = [
    {"name": "manager", "role": "manager", "description": "Plans sprints, writes tasks, reviews work."},
    {"name": "builder", "role": "builder", "description": "Implements features and fixes."},
    {"name": "reviewer", "role": "builder", "description": "Reviews changes and writes tests."},
    {"name": "designer", "role": "builder", "description": "Designs interfaces and styles."},
    {"name": "devops", "role": "builder", "description": "Builds, deploys and monitors."},
]
PROJECT_TEMPLATES = [
    {"key": "web-app", "name": "Web application", "agents": ["manager", "builder", "designer"]},
    {"key": "api", "name": "API service", "agents": ["manager", "builder", "reviewer"]},
    {"key": "cli", "name": "Command-line tool", "agents": ["manager", "builder"]},
    {"key": "infra", "name": "Infrastructure", "agents": ["manager", "devops"]},
]
DEFAULT_AGENTS = ["manager", "builder"]
TASK_TYPES = ("feature", "bug", "chore", "test")

TRANSLATE_SYSTEM = """You turn a developer's instruction into one task for a team of coding agents.
Answer with JSON only: {"title": str, "description": str, "type": "feature"|"bug"|"chore"|"test",
"owner": one of the agent names given, "priority": "p0"|"p1"|"p2"|"p3"}."""
SPRINT0_SYSTEM = """You plan Sprint 0 (project set-up) for a team of coding agents. Answer with JSON
only: {"tasks": [{"title": str, "description": str, "owner": one of the agent names given,
"priority": "p0"|"p1"|"p2"|"p3"}]} with 3 to 8 tasks, in the language asked for."""


@dataclass(frozen=True)
class AssistantModel:
    engine: str
    secret: str
    base_url: str | None
    model: str | None


def templates() -> dict[str, Any]:
    return {"agents": AGENT_TEMPLATES, "projects": PROJECT_TEMPLATES}


def suggest_agents(project_type: str | None) -> dict[str, Any]:
    found = next((p for p in PROJECT_TEMPLATES if p["key"] == project_type), None)
    names = list(found["agents"]) if found else DEFAULT_AGENTS
    return {"agents": names, "details": [a for a in AGENT_TEMPLATES if a["name"] in names]}


def assistant_model(session: Session, keyring: Any, env_keys: dict[str, str], team: Team) -> AssistantModel:
    """The project assistant's model, or a 400 `assistant_not_configured` naming what to set."""
    try:
        credential = resolve_credential(session, keyring, env_keys, None, None, team.project)
    except InvalidInput as exc:
        raise InvalidInput(f"the assistant has no usable credential: {exc.message}",
                           code="assistant_not_configured") from None
    engine = API_FAMILY.get(credential.engine, credential.engine)
    if not credential.secret or engine not in API_ENGINES:
        raise InvalidInput("the assistant needs a model: set the project's default credential (an Anthropic or "
                           "OpenAI key) with PATCH /api/projects/{id} defaultCredentialId",
                           code="assistant_not_configured")
    return AssistantModel(engine, credential.secret, credential.base_url, credential.model)


def ask_json(model: AssistantModel, system: str, prompt: str) -> dict[str, Any]:
    """One exchange; the answer's first JSON object. Never called inside a transaction."""
    try:
        reply = api_client(model.engine, model.secret, model.model, model.base_url).complete(
            system, [UserMessage(prompt)], [])
    except ProviderError as exc:
        raise UpstreamError(f"the assistant's model failed: {exc}", code="assistant_failed") from None
    match = re.search(r"\{.*\}", reply.message.text, re.DOTALL)
    try:
        answer = json.loads(match.group(0)) if match else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise UpstreamError("the assistant's model did not answer with JSON", code="assistant_failed")
    return answer


def translate_prompt(instruction: str, agent_names: list[str]) -> str:
    if not instruction.strip():
        raise InvalidInput("instruction: required")
    return f"Agents: {', '.join(agent_names) or 'builder'}\nInstruction: {instruction}"


def task_from_answer(answer: dict[str, Any], agent_names: list[str]) -> dict[str, Any]:
    """The model's task, checked: unknown values fall back to safe defaults rather than failing."""
    title = str(answer.get("title") or "").strip()[:200]
    if not title:
        raise UpstreamError("the assistant's model gave no task title", code="assistant_failed")
    owner = answer.get("owner") if answer.get("owner") in agent_names else (agent_names or ["builder"])[0]
    kind = answer.get("type") if answer.get("type") in TASK_TYPES else tasks.infer_type(title)
    priority = answer.get("priority") if answer.get("priority") in tasks.PRIORITIES else "p1"
    return {"title": title, "description": str(answer.get("description") or ""), "type": kind, "owner": owner,
            "priority": priority}


def sprint0_prompt(project_name: str, agent_names: list[str], template: str | None, language: str) -> str:
    return (f"Project: {project_name}\nAgents: {', '.join(agent_names)}\nTemplate: {template or 'none'}\n"
            f"Language: {'Japanese' if language == 'ja' else 'English'}")


def create_sprint0_tasks(session: Session, team: Team, answer: dict[str, Any], agent_names: list[str]) -> list[Any]:
    from orchestrator.team.sprints import ensure_sprint_zero

    items = answer.get("tasks")
    if not isinstance(items, list) or not items:
        raise UpstreamError("the assistant's model gave no tasks", code="assistant_failed")
    ensure_sprint_zero(session, team)
    made = []
    for item in items[:20]:
        if isinstance(item, dict):
            fields = task_from_answer(item, agent_names)
            made.append(tasks.create_task(session, team, {**fields, "sprint": 0}))
    return made
