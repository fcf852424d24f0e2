"""Shared field types and path models."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _storable_in_utc(value: datetime) -> datetime:
    """Times are stored in UTC; one that falls outside years 1-9999 there cannot be stored."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie between the years 1 and 9999 in UTC") from None


Text = Annotated[str, StringConstraints(max_length=100_000), AfterValidator(no_nul)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(no_nul)
]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)]
UtcTime = Annotated[AwareDatetime, AfterValidator(_storable_in_utc)]


class Body(BaseModel):
    """Request bodies ignore unknown keys, so clients may send back what they read."""

    model_config = ConfigDict(extra="ignore")

    def changes(self, nullable: Collection[str] = (), exclude: Collection[str] = ()) -> dict[str, Any]:
        """The fields the client sent. An explicit null clears a `nullable` field; for any other
        field it means "unchanged", so clients may send back what they read."""
        sent = self.model_dump(exclude_unset=True, exclude=set(exclude))
        return {k: v for k, v in sent.items() if v is not None or k in nullable}


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
