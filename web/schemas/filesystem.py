from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

PathText = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class BrowseQuery(BaseModel):
    path: PathText | None = Field(None, description="directory to list; default the browse root (home)")


class ReadQuery(BaseModel):
    path: PathText = Field(description="absolute path of a file inside a registered project")
