"""Request bodies and paths of a project's scripts."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from web.schemas.common import Body, Ident, Name, ProjectPath, no_nul


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Command = Annotated[str, StringConstraints(min_length=1, max_length=20_000), AfterValidator(no_nul),
                    AfterValidator(_not_blank), Field(description="run with bash -c in the project's directory")]


class ScriptCreate(Body):
    name: Name
    command: Command


class ScriptUpdate(Body):
    name: Name | None = None
    command: Command | None = None


class ScriptPath(ProjectPath):
    scriptId: Ident


class RunPath(ScriptPath):
    runId: Ident
