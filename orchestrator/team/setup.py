"""Setting a workspace up for a team (manager, Sprint 0, first tasks, a welcome), its export and
import, the manager's context, and the constants and plan limits clients read."""

from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from sqlalchemy.orm import Session

from models import Project, TeamAgent, publish, utcnow
from orchestrator.errors import InvalidInput
from orchestrator.security import Keyring
from orchestrator.team import agents, tasks
from orchestrator.team.workspaces import (
    STATUSES,
    Team,
    require_editor,
    settings_row,
    update_workspace,
    workspace_json,
)

CONSTANTS = {"roles": ["manager", "builder"], "engines": list(agents.ENGINES),
             "templates": ["implementation", "reviewer"], "priorities": list(tasks.PRIORITIES),
             "task_statuses": list(STATUSES)}
PLAN_LIMITS = {"max_builders": 5, "max_cloud_engineers": 2, "build_command": "", "test_command": "",
               "stall_timeout_minutes": 10}
FIRST_TASKS = (
    ("Write the project spec", "Describe the vision, users, stack and first features.", "manager", "p0"),
    ("Set up the repository", "Project layout, build and test commands, a README.", "builder", "p0"),
)
MODES = ("merge", "replace")


def plan_limits(session: Session, project: Project) -> dict[str, Any]:
    stored = settings_row(session, project.id).settings or {}
    return {name: stored.get(name, default) for name, default in PLAN_LIMITS.items()}


def setup_project(session: Session, keyring: Keyring, team: Team, fields: dict[str, Any]) -> dict[str, Any]:
    update_workspace(session, team, {"name": fields.get("name"), "description": fields.get("description"),
                                     "language": fields.get("language") or "ja",
                                     "github_repo": fields.get("github_repo"),
                                     "agent_type": fields.get("agent_type") or "claude-code"})
    manager = agents.ensure_agent(session, team.id, "manager", "manager")
    manager.status, manager.engine = "active", fields.get("agent_type") or "claude-code"
    for spec in fields.get("agents") or []:
        _configure_agent(session, keyring, team, spec)
    sprint = start_sprint_zero(session, team)
    if not tasks.list_tasks(session, team, sprint=0):
        for title, description, owner, priority in FIRST_TASKS:
            tasks.create_task(session, team, {"title": title, "description": description, "owner": owner,
                                              "priority": priority, "sprint": 0})
    publish(session, "client.event", team.id, {"type": "message", "agent": "manager", "payload": {
        "from": "manager", "to": "user", "content": f"Welcome to {team.project.name}! Sprint 0 has started."}})
    return {"workspace": workspace_json(session, team.project), "manager_agent": agents.agent_json(manager),
            "sprint": sprint}


def start_sprint_zero(session: Session, team: Team) -> dict[str, Any]:
    """Sprint 0 through the sprints module when it is there; else recorded on the workspace."""
    try:
        sprints = import_module("orchestrator.team.sprints")
    except ImportError:
        sprints = None
    ensure = getattr(sprints, "ensure_sprint_zero", None)
    if ensure is not None:
        return ensure(session, team)
    row = settings_row(session, team.id)
    row.settings = {**(row.settings or {}), "sprint0": {"number": 0, "status": "active"}}
    return {"number": 0, "status": "active"}


def export_workspace(session: Session, team: Team) -> dict[str, Any]:
    row = settings_row(session, team.id)
    templates = [{"title": c.title, "description": c.prompt, "priority": tasks.SHOWN_FOR[c.priority],
                  "owner": c.assigned_agent_id, "labels": _json_list(c.labels)}
                 for c in tasks.list_tasks(session, team, status="todo")]
    return {"version": 1, "exported_at": utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "workspace": {"name": team.project.name, "description": team.project.description,
                          "language": row.language, "workflow": row.workflow},
            "agents": [{"name": a.name, "engine": a.engine, "execution_mode": a.execution_mode,
                        "system_prompt": a.system_prompt} for a in agents.list_agents(session, team, True)],
            "task_templates": templates}


def import_workspace(session: Session, keyring: Keyring, team: Team, body: dict[str, Any]) -> dict[str, Any]:
    """merge: agents upserted by name, templates added unless a todo task has the title;
    replace: also removes the agents (that may be removed) and todo tasks not in the import."""
    require_editor(session, team)
    mode = body.get("mode") or "merge"
    if mode not in MODES:
        raise InvalidInput("mode: must be merge or replace")
    if body.get("version", 1) != 1:
        raise InvalidInput("version: only version 1 exports can be imported")
    specs, templates = _list(body, "agents"), _list(body, "task_templates")
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
            raise InvalidInput(f"agents[{index}].name: required")
    for index, template in enumerate(templates):
        if not isinstance(template, dict) or not isinstance(template.get("title"), str) or not template["title"]:
            raise InvalidInput(f"task_templates[{index}].title: required")
    if mode == "replace":
        _remove_missing(session, team, {s["name"] for s in specs}, {t["title"] for t in templates})
    for spec in specs:
        _configure_agent(session, keyring, team, spec)
    existing = {card.title for card in tasks.list_tasks(session, team, status="todo")}
    added = 0
    for template in templates:
        if template["title"] not in existing:
            tasks.create_task(session, team, {**{k: template.get(k) for k in ("title", "description", "priority",
                                                                             "owner", "labels")}})
            added += 1
    return {"ok": True, "mode": mode, "stats": {"agents_imported": len(specs), "templates_imported": added}}


def manager_context(session: Session, team: Team) -> dict[str, Any]:
    every = tasks.list_tasks(session, team)
    sprint = _current_sprint(session, team)
    number = sprint.get("number") if sprint else None
    return {
        "workspace": workspace_json(session, team.project), "sprint": sprint,
        "tasks": tasks.tasks_json(session, team, [c for c in every if (c.extra or {}).get("sprint", -1) == number]
                                  if number is not None else every),
        "backlog": tasks.tasks_json(session, team, [c for c in every if (c.extra or {}).get("sprint", -1) == -1]),
        "agents": [agents.agent_json(a) for a in agents.list_agents(session, team)],
        "project_spec": workspace_json(session, team.project)["project_spec"],
        "spec": settings_row(session, team.id).spec,
        "previous_retro": _previous_retro(session, team, number),
    }


def _current_sprint(session: Session, team: Team) -> dict[str, Any] | None:
    found = _sprints_call("current_sprint_json", session, team)
    if found is not None:
        return found
    return (settings_row(session, team.id).settings or {}).get("sprint0")


def _previous_retro(session: Session, team: Team, number: int | None) -> Any:
    return _sprints_call("previous_retro_json", session, team, number) if number else None


def _sprints_call(name: str, *args: Any) -> Any:
    try:
        function = getattr(import_module("orchestrator.team.sprints"), name, None)
    except ImportError:
        return None
    return function(*args) if function is not None else None


def _configure_agent(session: Session, keyring: Keyring, team: Team, spec: dict[str, Any]) -> TeamAgent:
    name = (spec.get("name") or "").strip()
    if not name:
        raise InvalidInput("agents[].name: required")
    agents.ensure_agent(session, team.id, name, spec.get("role"))
    config = {k: spec.get(k) for k in ("engine", "execution_mode", "api_key", "system_prompt", "command_template",
                                       "model", "base_url") if spec.get(k) is not None}
    return agents.configure(session, keyring, team, name, config)


def _remove_missing(session: Session, team: Team, names: set[str], titles: set[str]) -> None:
    for card in tasks.list_tasks(session, team, status="todo"):
        if card.title not in titles:
            tasks.delete_task(session, team, card.id)
    for agent in agents.list_agents(session, team, True):
        if agent.name not in names and agent.role != "manager" and not agent.ever_active \
                and not agents.owns_tasks(session, team.id, agent.name):
            session.delete(agent)
    session.flush()


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name) or []
    if not isinstance(value, list):
        raise InvalidInput(f"{name}: must be a list")
    return value


def _json_list(values: list[Any]) -> str:
    return json.dumps(values)
