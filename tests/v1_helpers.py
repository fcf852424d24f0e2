"""Shared by the agent-team (seed 004) tests: a workspace and keys made through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Api


def make_workspace(api: Api, repo: Path, name: str = "Team") -> dict[str, Any]:
    return api.post("/api/v1/workspaces", {"name": name, "path": str(repo)}, expect=201)


def agent_key(api: Api, workspace_id: str, agent: str = "builder") -> Api:
    """An Api that calls with a new `tb_` key of `agent` in the workspace."""
    created = api.post("/api/keys", {"workspace_id": workspace_id, "agent_name": agent}, expect=201)
    return api.as_user(created["key"])
