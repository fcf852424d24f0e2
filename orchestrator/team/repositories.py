"""Repositories registered with a workspace (the project's own checkout is always the first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import TeamRepository, iso
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.team.workspaces import Team, require_editor


def list_repositories(session: Session, team: Team) -> list[dict[str, Any]]:
    rows = session.scalars(select(TeamRepository).where(TeamRepository.project_id == team.id)
                           .order_by(TeamRepository.created_at, TeamRepository.id))
    return [repository_json(row) for row in rows]


def local_repository(team: Team) -> dict[str, Any]:
    """The project's own repository, as `/repos` lists it without GitHub."""
    project = team.project
    return {"id": project.id, "name": Path(project.path).name, "full_name": project.path, "private": True,
            "default_branch": project.base_branch, "local": True, "path": project.path}


def add_repository(session: Session, team: Team, fields: dict[str, Any]) -> TeamRepository:
    require_editor(session, team)
    path = (fields.get("repo_path") or "").strip()
    if not path:
        raise InvalidInput("repo_path: required")
    row = TeamRepository(project_id=team.id, repo_path=path,
                         repo_name=fields.get("repo_name") or path.rstrip("/").split("/")[-1],
                         description=fields.get("description") or "",
                         access_agents=_agents(fields.get("access_agents")))
    session.add(row)
    session.flush()
    return row


def update_repository(session: Session, team: Team, repo_id: str, fields: dict[str, Any]) -> TeamRepository:
    require_editor(session, team)
    row = _get(session, team, repo_id)
    for name in ("repo_path", "repo_name", "description"):
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    if fields.get("access_agents") is not None:
        row.access_agents = _agents(fields["access_agents"])
    return row


def delete_repository(session: Session, team: Team, repo_id: str) -> None:
    require_editor(session, team)
    session.delete(_get(session, team, repo_id))


def repository_json(row: TeamRepository) -> dict[str, Any]:
    return {"id": row.id, "workspace_id": row.project_id, "repo_path": row.repo_path, "repo_name": row.repo_name,
            "description": row.description, "access_agents": row.access_agents, "created_at": iso(row.created_at)}


def _get(session: Session, team: Team, repo_id: str) -> TeamRepository:
    row = session.get(TeamRepository, repo_id)
    if row is None or row.project_id != team.id:
        raise NotFound.of("repository", repo_id)
    return row


def _agents(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput("access_agents: must be a list of agent names")
    return value
