"""Shared field types and path models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(_no_nul)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)
]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_no_nul)]


class Body(BaseModel):
    """Request bodies ignore unknown keys, so clients may send back what they read."""

    model_config = ConfigDict(extra="ignore")


class ReorderBody(Body):
    ids: list[Ident] = Field(description="every id of the collection, in the new order")


class IdPath(BaseModel):
    id: Ident


class ProjectPath(BaseModel):
    projectId: Ident


class ProjectBoardPath(ProjectPath):
    boardId: Ident


class ProjectColumnPath(ProjectPath):
    columnId: Ident


class ProjectCardPath(ProjectPath):
    cardId: Ident
