"""Request models of /tasks-api.php (seed 003); the action decides the body."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from web.schemas.common import Body, Ident, Text, UtcTime, no_nul
from web.schemas.ext import QueryModel

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(no_nul)]


class TasksApiQuery(QueryModel):
    action: Annotated[str, StringConstraints(max_length=50)] | None = Field(
        None, description="todo, doing, done (GET); add, move, chat (POST)")


class TaskAdd(Body):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                     AfterValidator(no_nul)]
    description: Text | None = None
    priority: Literal["urgent", "high", "medium", "low"] | None = Field(None, description="default medium")
    due_date: UtcTime | None = None
    tags: list[Tag] | None = Field(None, max_length=50)


class TaskMove(Body):
    task_id: Ident
    to: Literal["todo", "doing", "done"]


class ChatMessage(Body):
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
                       AfterValidator(no_nul)]
    user: Annotated[str, StringConstraints(max_length=200)] | None = None
