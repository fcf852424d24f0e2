from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from web.schemas.common import Body, Ident, Name, Text

ColumnType = Literal["backlog", "active", "done", "archive"]
Engine = Literal["anthropic", "openai", "claude-code", "codex", "command"]


class ColumnPolicy(Body):
    """The stage's policy: what runs in it, with which credential, within which limits."""

    prompt: Text | None = Field(None, description="Jinja2 template over card, project and summaries")
    credentialId: Ident | None = None
    engine: Engine | None = None
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    planMode: bool | None = None
    wipLimit: Annotated[int, Field(ge=1, le=1000)] | None = None
    budgetUsd: Annotated[float, Field(gt=0, le=100_000)] | None = None
    timeoutSeconds: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] | None = None
    requiredFields: list[Ident] | None = None


class ColumnCreate(ColumnPolicy):
    name: Name
    columnType: ColumnType
    boardId: Ident
    position: Annotated[int, Field(ge=0)] | None = None


class ColumnUpdate(ColumnPolicy):
    name: Name | None = None
    columnType: ColumnType | None = None


class ColumnListQuery(BaseModel):
    boardId: Ident | None = None
