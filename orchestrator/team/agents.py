"""The agents registry of a workspace.

An agent is `local` (run by a client on someone's machine, which reports it through
`PUT /api/v1/agents`; Switchyard never runs its tasks) until configured `byok`: then Switchyard
runs its tasks with its engine, model, credential and system prompt.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import Card, Credential, TeamAgent, iso, utcnow
from orchestrator.access import require_project
from orchestrator.credentials import create_credential, update_credential
from orchestrator.errors import Conflict, Forbidden, InvalidInput, NotFound
from orchestrator.security import Keyring
from orchestrator.team import audit
from orchestrator.team.workspaces import Team, require_editor

ENGINES = ("claude-code", "claude-api", "gemini", "codex", "custom")
MODES = ("local", "byok")
PROVIDER_FOR_ENGINE = {"claude-api": "anthropic", "gemini": "openai", "claude-code": "claude-code",
                       "codex": "codex", "custom": "openai"}
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta/openai/"
FINISHED = ("finished", "stopped", "done", "exited")  # a child process that has ended
ACTIVE_STATUSES = ("active", "working", "running", "starting")


def list_agents(session: Session, team: Team, include_all: bool = False) -> list[TeamAgent]:
    agents = session.scalars(select(TeamAgent).where(TeamAgent.project_id == team.id)
                             .order_by(TeamAgent.created_at, TeamAgent.name)).all()
    return [a for a in agents if include_all or not (a.parent_agent and a.status in FINISHED)]


def get_agent(session: Session, team: Team, name: str) -> TeamAgent:
    agent = find_agent(session, team.id, name)
    if agent is None:
        raise NotFound.of("agent", name)
    return agent


def find_agent(session: Session, project_id: str, name: str) -> TeamAgent | None:
    return session.scalar(select(TeamAgent).where(TeamAgent.project_id == project_id, TeamAgent.name == name))


def ensure_agent(session: Session, project_id: str, name: str, role: str | None = None) -> TeamAgent:
    """The named agent, registered on first mention (a task's owner, a status report)."""
    agent = find_agent(session, project_id, name)
    if agent is None:
        agent = TeamAgent(project_id=project_id, name=name, role=role or _role_for(name))
        session.add(agent)
        session.flush()
    return agent


def create_agent(session: Session, team: Team, fields: dict[str, Any]) -> TeamAgent:
    require_editor(session, team)
    name = _checked_name(fields.get("name"))
    if find_agent(session, team.id, name) is not None:
        raise Conflict(f"agent {name!r} already exists", code="agent_exists")
    agent = ensure_agent(session, team.id, name, fields.get("role"))
    audit.record(session, team.id, "agent.created", _who(team), agent=name)
    return agent


def report_status(session: Session, team: Team, fields: dict[str, Any]) -> TeamAgent:
    """The client's heartbeat: creates the agent when new, and records when it was last seen."""
    name = _checked_name(fields.get("name"))
    agent = ensure_agent(session, team.id, name)
    for field in ("status", "activity", "parent_agent", "ws_port"):
        if fields.get(field) is not None:
            setattr(agent, field, fields[field])
    if agent.status in ACTIVE_STATUSES:
        agent.ever_active = True
    agent.last_seen_at = utcnow()
    return agent


def configure(session: Session, keyring: Keyring, team: Team, name: str, fields: dict[str, Any]) -> TeamAgent:
    """Engine settings; a command template only from a project's owner or editor, never an agent key."""
    require_editor(session, team)
    agent = get_agent(session, team, name)
    if fields.get("command_template") is not None:
        if team.actor.kind == "agent":
            raise Forbidden("command_template: an agent key may not set a command; a project owner or editor may")
        require_project(session, team.actor, team.id, "editor")
    if fields.get("engine") is not None:
        agent.engine = _choice("engine", fields["engine"], ENGINES)
    if fields.get("execution_mode") is not None:
        agent.execution_mode = _choice("execution_mode", fields["execution_mode"], MODES)
    for field in ("model", "system_prompt", "command_template"):
        if field in fields and (fields[field] is not None or field != "command_template"):
            setattr(agent, field, fields[field] or None)
    if fields.get("api_key"):
        _store_key(session, keyring, team, agent, fields["api_key"], fields.get("base_url"))
    elif fields.get("base_url") and agent.credential_id:
        update_credential(session, team.actor, keyring, agent.credential_id, {"baseUrl": fields["base_url"]})
    audit.record(session, team.id, "agent.configured", _who(team), agent=name,
                 fields=sorted(k for k in fields if k != "api_key"))
    return agent


def delete_agent(session: Session, team: Team, name: str) -> None:
    require_editor(session, team)
    agent = get_agent(session, team, name)
    if agent.role == "manager" or agent.name == "manager":
        raise Conflict("the manager agent cannot be deleted", code="cannot_delete_manager")
    if agent.ever_active:
        raise Conflict(f"agent {name!r} has been active; it is kept for its history", code="agent_has_history")
    if owns_tasks(session, team.id, name):
        raise Conflict(f"agent {name!r} has assigned tasks; reassign them first", code="agent_has_tasks")
    session.delete(agent)
    audit.record(session, team.id, "agent.deleted", _who(team), agent=name)


def owns_tasks(session: Session, project_id: str, name: str) -> bool:
    return bool(session.scalar(select(exists().where(Card.project_id == project_id,
                                                     Card.assigned_agent_id == name,
                                                     Card.archived.is_(False)))))


def agent_json(agent: TeamAgent) -> dict[str, Any]:
    return {
        "id": agent.id, "workspace_id": agent.project_id, "name": agent.name, "role": agent.role,
        "status": agent.status, "activity": agent.activity, "parent_agent": agent.parent_agent,
        "ws_port": agent.ws_port, "engine": agent.engine, "execution_mode": agent.execution_mode,
        "model": agent.model, "has_api_key": agent.credential_id is not None,
        "system_prompt": agent.system_prompt, "command_template": agent.command_template,
        "last_seen_at": iso(agent.last_seen_at), "created_at": iso(agent.created_at),
        "updated_at": iso(agent.updated_at),
    }


def _store_key(session: Session, keyring: Keyring, team: Team, agent: TeamAgent, secret: str,
               base_url: str | None) -> None:
    """The agent's key becomes a credential (encrypted at rest), which resolution finds first."""
    provider = PROVIDER_FOR_ENGINE[agent.engine]
    url = base_url or (GEMINI_BASE_URL if agent.engine == "gemini" else None)
    existing = session.get(Credential, agent.credential_id) if agent.credential_id else None
    fields = {"name": f"{agent.name} ({team.project.name})", "provider": provider, "apiKey": secret,
              "baseUrl": url, "model": agent.model}
    if existing is not None:
        update_credential(session, team.actor, keyring, existing.id, fields)
    else:
        agent.credential_id = create_credential(session, team.actor, keyring, fields).id


def _checked_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name: required")
    if len(name) > 100:
        raise InvalidInput("name: at most 100 characters")
    return name.strip()


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{field}: must be one of {', '.join(allowed)}")
    return value


def _role_for(name: str) -> str:
    return "manager" if name == "manager" else "builder"


def _who(team: Team) -> str:
    return team.agent_name or team.actor.name or team.actor.user_id or "local"
