"""Request bodies and queries of seed 004's memories, progress, sprints, ADRs, messages, failures
and assistant routes (snake_case, as its document; `from` is a keyword, hence the alias)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from web.schemas.common import Body, Ident, Text, no_nul

Short = Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)]
AgentName = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
TaskId = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
Int32 = Annotated[int, Field(le=2**31 - 1)]  # what every database stores in an integer column
MemoryType = Literal["identity", "feedback", "project", "reference"]
SprintStatus = Literal["planning", "active", "review", "retrospective", "completed"]
AdrStatus = Literal["proposed", "accepted", "deprecated", "superseded"]


class MemoryQuery(BaseModel):
    type: MemoryType | None = None
    agent: AgentName | None = None


class SharedMemoryQuery(BaseModel):
    tags: Short | None = Field(None, description="comma-separated; a memory must carry every one")
    limit: int | None = Field(None, ge=1, le=1000)


class MemorySearchQuery(MemoryQuery):
    q: Short = ""


class AgentMemoryQuery(BaseModel):
    type: MemoryType | None = None


class MemoryPath(BaseModel):
    name: Ident
    key: Ident


class MemoryBody(Body):
    content: Annotated[str, StringConstraints(max_length=2000), AfterValidator(no_nul)]
    type: MemoryType | None = None
    version: Int32 | None = Field(None, ge=0)
    expires_days: int | None = Field(None, ge=1, le=36500)
    shared: bool | None = None
    tags: list[Annotated[str, StringConstraints(max_length=100)]] | None = None


class ProgressBody(Body):
    agent_name: AgentName | None = None
    task_name: Short | None = None
    step: Short | None = None
    file: Short | None = None
    detail: Text | None = None


class PreviewQuery(BaseModel):
    mode: Literal["compact", "full"] = "compact"


class SprintPath(BaseModel):
    number: Int32 = Field(ge=0)


class SprintCreate(Body):
    number: Int32 | None = Field(None, ge=0)
    status: Literal["planning", "active"] | None = None
    goal: Text | None = None
    deadline: Annotated[str, StringConstraints(max_length=40)] | None = None


class SprintUpdate(Body):
    status: SprintStatus | None = None
    goal: Text | None = None
    deadline: Annotated[str, StringConstraints(max_length=40)] | None = None
    retro_summary: Text | None = None


class SprintTasksQuery(BaseModel):
    sprint: Int32 | None = Field(None, ge=0)


class SuggestedTask(Body):
    title: Short
    priority: Literal["p0", "p1", "p2", "p3"] | None = None
    description: Text | None = None
    owner: AgentName | None = None


class RetroBody(Body):
    agent_name: AgentName | None = None
    went_well: Text | None = None
    to_improve: Text | None = None
    suggested_tasks: list[SuggestedTask] | None = None


class VelocityQuery(BaseModel):
    limit: int = Field(10, ge=1, le=100)


class DailyQuery(BaseModel):
    date: Short | None = None


class AdrCreate(Body):
    title: Short
    context: Text
    decision: Text
    rationale: Text
    consequences: Text | None = None
    author: AgentName | None = None
    status: AdrStatus | None = None


class AdrUpdate(Body):
    title: Short | None = None
    status: AdrStatus | None = None
    context: Text | None = None
    decision: Text | None = None
    rationale: Text | None = None
    consequences: Text | None = None
    superseded_by: Ident | None = None


class MessageQuery(BaseModel):
    channel: AgentName | None = None
    mode: Literal["team"] | None = None


class MessageBody(Body):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    sender: AgentName | None = Field(None, alias="from")
    to: AgentName | None = None
    content: Annotated[str, StringConstraints(max_length=20_000), AfterValidator(no_nul)]


class FailureBody(Body):
    summary: Text
    failure_type: Short | None = None
    task_id: TaskId | None = None
    agent_name: AgentName | None = None
    detail: Text | None = None


class FailureQuery(BaseModel):
    limit: int | None = Field(None, ge=1, le=500)


class RelevantQuery(BaseModel):
    limit: int = Field(5, ge=1, le=100)


class SuggestAgentsBody(Body):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project_type: Short | None = Field(None, alias="projectType")


class TranslateBody(Body):
    instruction: Text


class Sprint0Body(Body):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project_name: Short | None = Field(None, alias="projectName")
    selected_agents: list[AgentName] | None = Field(None, alias="selectedAgents")
    template_key: Short | None = Field(None, alias="templateKey")
    language: Literal["en", "ja"] | None = None


def as_dict(body: BaseModel, **extra: Any) -> dict[str, Any]:
    return {**body.model_dump(exclude_none=True), **extra}
