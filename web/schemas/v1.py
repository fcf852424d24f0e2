"""Request bodies and queries of the agent-team dialect (seed 004): snake_case, as its document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from web.schemas.common import Body, Ident, Text, no_nul

Short = Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)]
Priority = Literal["p0", "p1", "p2", "p3"]
Status = Literal["todo", "in_progress", "review", "done", "blocked"]
Engine = Literal["claude-code", "claude-api", "gemini", "codex", "custom"]
Mode = Literal["local", "byok"]


class KeyCreate(Body):
    workspace_id: Ident
    agent_name: Short | None = None


class WorkspaceIdPath(BaseModel):
    workspace_id: Ident


class IdPath(BaseModel):
    id: Ident


class NamePath(BaseModel):
    name: Ident


class WorkspaceUpdate(Body):
    name: Short | None = None
    description: Text | None = None
    language: Literal["en", "ja"] | None = None
    workflow: Literal["scrum", "kanban", "checklist"] | None = None
    github_repo: Short | None = None
    spec: Text | None = None
    project_spec: dict[str, Any] | None = None
    terminal_emulator: Short | None = None
    agent_type: Short | None = None


class WorkspaceCreate(Body):
    name: Short | None = None
    description: Text | None = None
    language: Literal["en", "ja"] | None = None
    path: Short | None = Field(None, description="an existing git repository; default a new one in the data dir")


class AgentSpec(Body):
    name: Short
    role: Short | None = None
    engine: Engine | None = None
    execution_mode: Mode | None = None
    api_key: Short | None = None
    command_template: Text | None = None
    system_prompt: Text | None = None
    model: Short | None = None
    base_url: Short | None = None


class ProjectSetup(Body):
    name: Short | None = None
    github_repo: Short | None = None
    agent_type: Literal["claude-code", "codex", "custom"] | None = None
    language: Literal["en", "ja"] | None = None
    description: Text | None = None
    agents: list[AgentSpec] = Field(default_factory=list)


class WorkspaceImport(Body):
    version: int = 1
    mode: Literal["merge", "replace"] = "merge"
    agents: list[dict[str, Any]] = Field(default_factory=list)
    task_templates: list[dict[str, Any]] = Field(default_factory=list)


class UserTaskCreate(Body):
    title: Annotated[str, StringConstraints(max_length=200)]
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    related_tasks: list[Ident] | None = None


class UserTaskUpdate(Body):
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    status: Literal["todo", "in_progress", "done"] | None = None
    related_tasks: list[Ident] | None = None


class UserTaskQuery(BaseModel):
    status: Literal["todo", "in_progress", "done"] | None = None


class RepositoryBody(Body):
    repo_path: Short | None = None
    repo_name: Short | None = None
    description: Text | None = None
    access_agents: list[Short] | None = None


class TaskQuery(BaseModel):
    status: Status | None = None
    sprint: int | None = Field(None, ge=-1)
    owner: Short | None = None


class TaskBody(Body):
    title: Short | None = None
    description: Text | None = None
    owner: Short | None = None
    priority: Priority | None = None
    status: Status | None = None
    type: Short | None = None
    sprint: int | None = Field(None, ge=-1)
    branch: Short | None = None
    labels: list[Short] | str | None = None
    blocks: list[Ident] | None = None
    blocked_by: list[Ident] | None = None
    context_notes: Text | None = None
    target_repo: Short | None = None
    parent_task: Ident | None = None
    story_id: Ident | None = None
    story_points: int | None = Field(None, ge=0, le=1000)
    review_comment: Text | None = None
    commits: str | list[Short] | None = None
    review_verdict: Short | None = None
    category: Short | None = None
    steps: list[Any] | None = None
    acceptance_criteria: list[Any] | None = None


class RejectBody(Body):
    reason: Text


class ReviewAction(Body):
    action: Literal["approve", "fix"]
    comment: Text | None = None
    fix_description: Text | None = None


class ReviewReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    summary: Text
    changes: Text | None = None
    test_results: Text | None = None
    commits: str | list[Short] | None = None
    notes: Text | None = None


class StoryBody(Body):
    title: Short | None = None
    description: Text | None = None
    sprint: int | None = Field(None, ge=-1)
    priority: Priority | None = None
    status: Short | None = None


class AgentsQuery(BaseModel):
    all: bool = False


class AgentCreate(Body):
    name: Short
    role: Short | None = None


class AgentStatus(Body):
    name: Short
    status: Short | None = None
    activity: Text | None = None
    parent_agent: Short | None = None
    ws_port: int | None = Field(None, ge=1, le=65535)


class AgentConfig(Body):
    engine: Engine | None = None
    execution_mode: Mode | None = None
    api_key: Short | None = None
    system_prompt: Text | None = None
    command_template: Text | None = None
    model: Short | None = None
    base_url: Short | None = None


class SearchQuery(BaseModel):
    q: Short = ""


class LimitQuery(BaseModel):
    limit: int = Field(50, ge=1, le=500)


class SiteSettings(Body):
    maintenance_enabled: str | bool | None = None
    maintenance_message: Text | None = None
    banner_enabled: str | bool | None = None
    banner_message: Text | None = None
    banner_scheduled_at: Short | None = None
