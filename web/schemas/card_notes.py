from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from web.schemas.common import Body, Ident, ProjectCardPath, no_nul

NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
                     AfterValidator(no_nul)]


class CommentBody(Body):
    body: NoteText


class TodoCreate(Body):
    text: NoteText


class TodoUpdate(Body):
    text: NoteText | None = None
    done: bool | None = None


class TodoPath(ProjectCardPath):
    todoId: Ident
