from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from web.schemas.common import Body, Ident, Text, UtcTime, no_nul

Priority = Literal["none", "low", "medium", "high", "urgent"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(no_nul)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(no_nul)]
Position = Annotated[int, Field(ge=0, le=1_000_000)]


class CardCreate(Body):
    title: Title
    prompt: Text | None = None
    columnId: Ident | None = Field(None, description="default: the first column of the first board")
    boardId: Ident | None = None
    position: Position | None = None
    labels: list[Label] | None = None
    priority: Priority | None = None
    dueDate: UtcTime | None = None


class FlatCardCreate(CardCreate):
    projectId: Ident


class CardUpdate(Body):
    title: Title | None = None
    prompt: Text | None = None
    labels: list[Label] | None = None
    priority: Priority | None = None
    dueDate: UtcTime | None = None
    budgetUsd: Annotated[float, Field(gt=0, le=100_000)] | None = None


class CardMove(Body):
    columnId: Ident
    position: Position | None = None


class AutoModeBody(Body):
    enabled: bool


class PipelineStep(Body):
    columnId: Ident
    prompt: Text | None = Field(None, description="overrides the column's prompt for this card")


class PipelineBody(Body):
    steps: list[PipelineStep] = Field(max_length=50)


class CardListQuery(BaseModel):
    boardId: Ident | None = None
    columnId: Ident | None = None
    includeArchived: bool = False


class DeleteQuery(BaseModel):
    force: bool = Field(False, description="delete a worktree with uncommitted changes, and an unmerged branch")


class MergeBody(Body):
    strategy: Literal["merge", "squash", "rebase"] = Field(
        description="merge: a merge commit; squash: one commit; rebase: replay onto the base, then fast-forward")


