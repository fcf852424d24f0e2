"""Workspaces: a project seen through seed 004, its team board, and which workspace a call means.

A `tb_` key names its workspace; a person (a user token, or the machine's developer with auth
off) works in the workspace they last switched to, or names one with `X-Workspace-Id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Board, Column, Project, TeamWorkspace, iso, new_id
from orchestrator import projects
from orchestrator.access import Actor, require_project, visible_projects
from orchestrator.errors import Forbidden, InvalidInput, NotFound
from orchestrator.runtime_settings import get_setting, put_setting

# key, name, column type: the team board's columns (DESIGN.md "Seed 004's workspaces").
TEAM_COLUMNS = (
    ("todo", "Todo", "backlog"),
    ("in_progress", "In progress", "active"),
    ("review", "Review", "backlog"),
    ("done", "Done", "done"),
    ("blocked", "Blocked", "backlog"),
)
STATUSES = tuple(key for key, _, _ in TEAM_COLUMNS)
CURRENT_KEY = "team.current_workspace"
LANGUAGES = ("en", "ja")
WORKFLOWS = ("scrum", "kanban", "checklist")


@dataclass(frozen=True)
class Team:
    """One call's workspace and who is calling (`agent_name` for a `tb_` agent key)."""

    project: Project
    actor: Actor
    agent_name: str | None = None

    @property
    def id(self) -> str:
        return self.project.id


def require_editor(session: Session, team: Team) -> None:
    """Changes need the project's editor role (an agent key acts with its maker's role)."""
    require_project(session, team.actor, team.id, "editor")


def team_board(session: Session, project_id: str) -> Board:
    """The project's team board, made with its five columns on first use."""
    board = session.scalar(select(Board).where(Board.project_id == project_id, Board.purpose == "team"))
    if board is not None:
        return board
    position = len(session.scalars(select(Board.id).where(Board.project_id == project_id)).all())
    board = Board(project_id=project_id, name="Team", position=position, purpose="team")
    session.add(board)
    session.flush()
    for index, (key, name, kind) in enumerate(TEAM_COLUMNS):
        session.add(Column(board_id=board.id, project_id=project_id, name=name, position=index,
                           column_type=kind, key=key))
    session.flush()
    return board


def status_columns(session: Session, project_id: str) -> dict[str, Column]:
    """Status name → column of the team board."""
    board = team_board(session, project_id)
    columns = session.scalars(select(Column).where(Column.board_id == board.id)).all()
    return {column.key: column for column in columns if column.key}


def settings_row(session: Session, project_id: str) -> TeamWorkspace:
    row = session.get(TeamWorkspace, project_id)
    if row is None:
        row = TeamWorkspace(project_id=project_id, project_spec={}, settings={})
        session.add(row)
        session.flush()
    return row


def resolve(session: Session, actor: Actor, key_project_id: str | None, requested: str | None) -> Project:
    """The workspace a call works in: the key's, else the one asked for, else the current one."""
    if key_project_id is not None:
        project = session.get(Project, key_project_id)
        if project is None:
            raise NotFound.of("workspace", key_project_id)
        return project
    wanted = requested or get_setting(session, CURRENT_KEY, scope=_scope(actor))
    if wanted:
        return require_project(session, actor, wanted)
    first = session.scalar(select(Project).join(TeamWorkspace, TeamWorkspace.project_id == Project.id)
                           .where(visible_projects(actor)).order_by(Project.created_at).limit(1))
    if first is None:
        raise NotFound("no workspace yet: create one with POST /api/v1/workspaces", code="no_workspace")
    return first


def switch(session: Session, actor: Actor, project_id: str) -> Project:
    project = require_project(session, actor, project_id)
    settings_row(session, project.id)
    put_setting(session, CURRENT_KEY, project.id, scope=_scope(actor))
    return project


def list_workspaces(session: Session, actor: Actor) -> list[Project]:
    return list(session.scalars(select(Project).where(visible_projects(actor)).order_by(Project.created_at)))


def create_workspace(session: Session, actor: Actor, data_dir: Path, fields: dict[str, Any]) -> Project:
    """A project on the given repository, or on a new git repository in the data directory."""
    path = fields.get("path")
    if not path:
        path = str(_new_repository(data_dir))
    project = projects.create_project(session, actor, {"name": fields.get("name") or "My Project",
                                                       "path": path,
                                                       "description": fields.get("description") or ""})
    row = settings_row(session, project.id)
    if fields.get("language"):
        row.language = _choice("language", fields["language"], LANGUAGES)
    team_board(session, project.id)
    return project


def update_workspace(session: Session, team: Team, fields: dict[str, Any]) -> Project:
    require_project(session, team.actor, team.id, "editor")
    project, row = team.project, settings_row(session, team.id)
    if fields.get("name") is not None:
        if not fields["name"].strip():
            raise InvalidInput("name: must not be empty")
        project.name = fields["name"]
    if fields.get("description") is not None:
        project.description = fields["description"]
    if fields.get("language") is not None:
        row.language = _choice("language", fields["language"], LANGUAGES)
    if fields.get("workflow") is not None:
        row.workflow = _choice("workflow", fields["workflow"], WORKFLOWS)
    for name in ("github_repo", "spec", "terminal_emulator", "agent_type"):
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    if fields.get("project_spec") is not None:
        row.project_spec = dict(fields["project_spec"])
    return project


def require_writer(session: Session, team: Team) -> None:
    """Writes in a workspace need its editor role (an agent key acts with its maker's role)."""
    require_project(session, team.actor, team.id, "editor")


def delete_workspace(session: Session, team: Team) -> None:
    """Everything of the workspace goes with its project; only its owner, never an agent key."""
    if team.actor.kind == "agent":
        raise Forbidden("deleting a workspace needs its owner, not an agent key")
    projects.delete_project(session, team.actor, team.id)


def workspace_json(session: Session, project: Project) -> dict[str, Any]:
    row = settings_row(session, project.id)
    repo = row.github_repo
    spec = dict(row.project_spec or {})
    return {
        "id": project.id, "name": project.name, "description": project.description,
        "github_org": repo.split("/")[0] if repo and "/" in repo else None, "github_repo": repo,
        "agent_type": row.agent_type, "language": row.language, "workflow": row.workflow,
        "spec": row.spec, "terminal_emulator": row.terminal_emulator,
        "project_spec": {name: spec.get(name, "" if name in ("vision", "target_users") else [])
                         for name in ("vision", "target_users", "tech_stack", "features", "requirements")},
        "repo_path": project.path,
        "created_at": iso(project.created_at), "updated_at": iso(project.updated_at),
    }


def _new_repository(data_dir: Path) -> Path:
    """A fresh repository with one empty commit, so branches and worktrees have a base."""
    path = data_dir / "workspaces" / new_id("ws")
    path.mkdir(parents=True)
    repo = git.Repo.init(path, initial_branch="main")
    author = git.Actor("Switchyard", "switchyard@localhost")
    repo.index.commit("Initial commit", author=author, committer=author)
    repo.close()
    return path


def _choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{field}: must be one of {', '.join(allowed)}")
    return value


def _scope(actor: Actor) -> str:
    return f"user:{actor.user_id or 'local'}"
