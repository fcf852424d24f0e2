"""Request models of /api/api-keys: the `ak_` keys of /api/ext/v1 and /tasks-api.php."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from web.schemas.common import Body, Ident, Name


class BoardGrant(BaseModel):
    boardId: Ident
    permission: Literal["read", "edit"]


class ApiKeyCreate(Body):
    name: Name
    allBoards: StrictBool = Field(False, description="edit on every board its owner may see")
    boards: list[BoardGrant] = Field(default_factory=list, max_length=1000)
    defaultProjectId: Ident | None = Field(None, description="where boards it creates land")
    defaultBoardId: Ident | None = Field(None, description="the board of /tasks-api.php")


class ApiKeyUpdate(Body):
    name: Name | None = None
    allBoards: StrictBool | None = None
    boards: list[BoardGrant] | None = Field(None, max_length=1000)
    defaultProjectId: Ident | None = None
    defaultBoardId: Ident | None = None
