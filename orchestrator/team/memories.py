"""Agent memories (seed 004's knowledge): what an agent keeps between sessions, per workspace,
upserted by agent name + key with optimistic locking by `version`. Shared memories reach every
agent of the workspace; all of them reach their agent's prompt (orchestrator.team.prompting)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import TeamMemory, iso, utcnow
from orchestrator.errors import Conflict, InvalidInput, NotFound
from orchestrator.team import agents
from orchestrator.team.workspaces import Team, require_writer

TYPES = ("identity", "feedback", "project", "reference")
MAX_CONTENT = 2000
PROMPT_LIMIT = 50  # memories per prompt, newest first: a prompt must stay readable


def memory_json(row: TeamMemory) -> dict[str, Any]:
    return {
        "id": row.id, "workspace_id": row.project_id, "agent_name": row.agent_name, "key": row.key,
        "type": row.type, "content": row.content, "version": row.version, "shared": row.shared,
        "tags": list(row.tags or []), "last_validated_at": iso(row.last_validated_at),
        "expires_days": row.expires_days, "expired": is_expired(row),
        "updated_at": iso(row.updated_at), "created_at": iso(row.created_at),
    }


def listing(rows: list[TeamMemory]) -> dict[str, Any]:
    return {"memories": [memory_json(row) for row in rows], "count": len(rows)}


def is_expired(row: TeamMemory) -> bool:
    if not row.expires_days:
        return False
    return row.last_validated_at + timedelta(days=row.expires_days) < utcnow()


def list_memories(session: Session, team: Team, kind: str | None = None, agent: str | None = None) -> list[TeamMemory]:
    query = _query(team.id, kind)
    if agent:
        query = query.where(TeamMemory.agent_name == agent)
    return list(session.scalars(query))


def shared_memories(session: Session, team: Team, tags: list[str] | None = None,
                    limit: int | None = None) -> list[TeamMemory]:
    """Shared ones carrying every tag asked for (tags are matched here: JSON lists differ per database)."""
    rows = session.scalars(_query(team.id).where(TeamMemory.shared.is_(True))).all()
    wanted = set(tags or [])
    found = [row for row in rows if wanted <= set(row.tags or [])]
    return found[:limit] if limit else found


def expired_memories(session: Session, team: Team) -> list[TeamMemory]:
    return [row for row in session.scalars(_query(team.id)) if is_expired(row)]


def search_memories(session: Session, team: Team, text: str | None, kind: str | None = None,
                    agent: str | None = None) -> list[TeamMemory]:
    if not (text or "").strip():
        raise InvalidInput("q: required")
    pattern = f"%{text.strip()}%"
    query = _query(team.id, kind).where(or_(TeamMemory.key.ilike(pattern), TeamMemory.content.ilike(pattern)))
    if agent:
        query = query.where(TeamMemory.agent_name == agent)
    return list(session.scalars(query))


def upsert_memory(session: Session, team: Team, agent: str, key: str, fields: dict[str, Any]) -> tuple[TeamMemory, bool]:
    """(memory, created). A `version` that is not the stored one means someone wrote in between: 409."""
    require_writer(session, team)
    content, kind = fields.get("content"), fields.get("type")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("content: required")
    if len(content) > MAX_CONTENT:
        raise InvalidInput(f"content: at most {MAX_CONTENT} characters")
    row = find_memory(session, team.id, agent, key)
    if row is None:
        _check_type(kind, required=True)
        agents.ensure_agent(session, team.id, agent)  # a name first met here joins the registry
        row = TeamMemory(project_id=team.id, agent_name=agent, key=key, version=1, tags=[])
        session.add(row)
        created = True
    else:
        _check_type(kind, required=False)
        expected = fields.get("version")
        if expected is not None and expected != row.version:
            raise Conflict(f"memory {agent}/{key} is at version {row.version}, not {expected}: reload and retry",
                           code="version_conflict")
        row.version += 1
        created = False
    row.content = content
    row.type = kind or row.type
    for name in ("expires_days", "shared"):
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    if fields.get("tags") is not None:
        row.tags = _tags(fields["tags"])
    row.last_validated_at = utcnow()
    session.flush()
    return row, created


def revalidate(session: Session, team: Team, memory_id: str) -> TeamMemory:
    require_writer(session, team)
    row = session.get(TeamMemory, memory_id)
    if row is None or row.project_id != team.id:
        raise NotFound.of("memory", memory_id)
    row.last_validated_at = utcnow()
    return row


def delete_memory(session: Session, team: Team, agent: str, key: str) -> None:
    require_writer(session, team)
    row = find_memory(session, team.id, agent, key)
    if row is None:
        raise NotFound.of("memory", f"{agent}/{key}")
    session.delete(row)


def find_memory(session: Session, project_id: str, agent: str, key: str) -> TeamMemory | None:
    return session.scalar(select(TeamMemory).where(TeamMemory.project_id == project_id,
                                                   TeamMemory.agent_name == agent, TeamMemory.key == key))


def prompt_memories(session: Session, project_id: str, agent: str) -> list[TeamMemory]:
    """What an agent is told it remembers: its own memories and the shared ones, unexpired."""
    rows = session.scalars(select(TeamMemory).where(
        TeamMemory.project_id == project_id,
        or_(TeamMemory.agent_name == agent, TeamMemory.shared.is_(True)))
        .order_by(TeamMemory.updated_at.desc(), TeamMemory.id)).all()
    return [row for row in rows if not is_expired(row)][:PROMPT_LIMIT]


def prompt_block(session: Session, project_id: str, agent: str) -> str | None:
    rows = prompt_memories(session, project_id, agent)
    if not rows:
        return None
    lines = [f"- [{row.type}] {row.key}" + (" (shared)" if row.shared and row.agent_name != agent else "")
             + f": {row.content}" for row in rows]
    return "What you remember (your memories and the team's shared ones):\n" + "\n".join(lines)


def _query(project_id: str, kind: str | None = None) -> Any:
    query = select(TeamMemory).where(TeamMemory.project_id == project_id)
    if kind:
        _check_type(kind, required=True)
        query = query.where(TeamMemory.type == kind)
    return query.order_by(TeamMemory.agent_name, TeamMemory.key)


def _check_type(kind: Any, required: bool) -> None:
    if kind is None and not required:
        return
    if kind not in TYPES:
        raise InvalidInput(f"type: must be one of {', '.join(TYPES)}")


def _tags(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        raise InvalidInput("tags: must be a list of strings")
    return raw
