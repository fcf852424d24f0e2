"""Request models of /api/ext/v1 (seed 000): names and limits as that document gives them."""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, StringConstraints

from web.schemas.common import Body, Ident, Name, Text, no_nul

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                  AfterValidator(no_nul)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(no_nul)]
NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
                     AfterValidator(no_nul)]
Priority = Annotated[StrictInt, Field(ge=0, le=4, description="0 none, 1 low, 2 medium, 3 high, 4 urgent")]
Position = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
LaneType = Literal["backlog", "active", "done", "archive"]
NoteSource = Literal["api", "agent"]


def _assume_utc(value: datetime) -> datetime:
    """Extensions send capture times with or without a zone; without one it is UTC."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between the years 1 and 9999 in UTC") from None


CapturedAt = Annotated[datetime, AfterValidator(_assume_utc)]


class QueryModel(BaseModel):
    """A query-string model whose JSON schema is built once: flask-openapi3 asks for it on every
    request it parses (to find list fields), and pydantic builds it afresh each time (~1 ms)."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return copy.deepcopy(_schema_of(cls, *args, **kwargs))


@functools.cache
def _schema_of(model: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(model, *args, **kwargs)  # type: ignore[attr-defined]


# Paths -----------------------------------------------------------------------------------------


class ExtBoardPath(BaseModel):
    boardId: Ident


class ExtLanePath(ExtBoardPath):
    laneId: Ident


class ExtTaskPath(ExtBoardPath):
    taskId: Ident


class ExtCommentPath(ExtTaskPath):
    commentId: Ident


class ExtTodoPath(ExtTaskPath):
    todoId: Ident


class ExtWebhookPath(BaseModel):
    id: Ident


# Boards and lanes ------------------------------------------------------------------------------


class ExtBoardCreate(Body):
    name: Name
    projectId: Ident | None = Field(None, description="default: the key's default project")


class ExtLaneCreate(Body):
    name: Name
    type: LaneType | None = Field(None, description="default backlog; an active lane runs agents")
    position: Position | None = None


class ExtLaneUpdate(Body):
    name: Name | None = None
    position: Position | None = None
    type: LaneType | None = None


# Tasks -----------------------------------------------------------------------------------------


class ExtTaskQuery(QueryModel):
    laneId: Ident | None = None
    includeArchived: bool = False
    shortIdPrefix: Annotated[str, StringConstraints(min_length=1, max_length=8)] | None = None


class ExtTaskCreate(Body):
    title: Title
    laneId: Ident | None = Field(None, description="default: the board's first lane")
    description: Text | None = None
    priority: Priority | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    position: Position | None = None
    archived: StrictBool | None = None


class ExtTaskUpdate(Body):
    title: Title | None = None
    description: Text | None = None
    priority: Priority | None = None
    tags: list[Tag] | None = Field(None, max_length=50)
    archived: StrictBool | None = None


class ExtTaskMove(Body):
    laneId: Ident
    position: Position | None = Field(None, description="default: the end of the lane")


# Comments and todos ----------------------------------------------------------------------------


class ExtCommentCreate(Body):
    body: NoteText
    authorName: Name | None = None
    source: NoteSource | None = Field(None, description="api (default) or agent")


class ExtTodoCreate(Body):
    text: NoteText
    iteration: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None
    source: NoteSource | None = None
    done: StrictBool | None = None


class ExtTodoUpdate(Body):
    text: NoteText | None = None
    done: StrictBool | None = None
    iteration: Annotated[StrictInt, Field(ge=0, le=1_000_000)] | None = None


class ExtTodoReorder(Body):
    orderedIds: list[Ident] = Field(max_length=10_000, description="every todo of the task, in order")


# Turns -----------------------------------------------------------------------------------------


class ExtTurn(BaseModel):
    source: Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)]
    sourceId: Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]
    role: Literal["user", "assistant", "system", "tool"]
    content: Annotated[str, StringConstraints(max_length=1_000_000), AfterValidator(no_nul)] = ""
    capturedAt: CapturedAt | None = Field(None, description="default: when it is stored")
    toolUseOnly: StrictBool | None = None
    model: Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)] | None = None
    inputTokens: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None
    outputTokens: Annotated[StrictInt, Field(ge=0, le=10**12)] | None = None
    costUsd: Annotated[float, Field(ge=0, le=10**9)] | None = None
    durationMs: Annotated[StrictInt, Field(ge=0, le=10**10)] | None = None


class ExtTurnBatch(Body):
    turns: list[ExtTurn] = Field(min_length=1, max_length=100, description="at most 100 per batch")


class ExtTurnQuery(QueryModel):
    source: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    after: CapturedAt | None = Field(None, description="only turns captured after this time")
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None


# Webhooks --------------------------------------------------------------------------------------

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(no_nul)]
EventName = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class ExtWebhookCreate(Body):
    url: Url
    events: list[EventName] = Field(min_length=1, max_length=100,
                                    description="event names (card.moved), prefixes (card.*) or *")
    active: StrictBool = True


class ExtWebhookUpdate(Body):
    url: Url | None = None
    events: list[EventName] | None = Field(None, min_length=1, max_length=100)
    active: StrictBool | None = None
