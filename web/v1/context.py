"""The workspace of a /api/v1 request, and its answers (bare JSON, never an empty 2xx)."""

from __future__ import annotations

from typing import Any

from flask import request

from orchestrator.security import Keyring
from orchestrator.team.workspaces import Team, resolve
from web.context import actor, db, runtime
from web.v1.auth import team_grant

WORKSPACE_HEADER = "X-Workspace-Id"


def team() -> Team:
    """A `tb_` key's workspace; else the one named by X-Workspace-Id, else the caller's current one."""
    grant = team_grant()
    project = resolve(db(), actor(), grant.project_id if grant else None, request.headers.get(WORKSPACE_HEADER))
    return Team(project, actor(), grant.agent_name if grant else None)


def keyring() -> Keyring:
    return runtime().keyring


def data_dir() -> Any:
    return runtime().settings.data_dir


def bare(data: Any, status: int = 200) -> tuple[Any, int]:
    return data, status
