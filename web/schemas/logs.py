from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from web.schemas.common import Body, no_nul

Level = Literal["debug", "info", "warn", "warning", "error", "critical"]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s/]+"),
                AfterValidator(no_nul)]


class LogQuery(BaseModel):
    level: Level | None = Field(None, description="the lowest level shown (warn shows warn and error)")
    search: Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)] | None = Field(
        None, description="text the entry must contain (message, logger, context, exception), any case")
    limit: int = Field(100, ge=1, le=1000, description="entries returned, newest first")


class LogExportBody(Body):
    enabled: bool | None = None
    url: Url | None = Field(None, description="HTTP(S) endpoint that receives a JSON array of entries")
    level: Level | None = Field(None, description="the lowest level exported")
    token: Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(no_nul)] | None = Field(
        None, description="sent as Authorization: Bearer <token>; stored encrypted, never shown")
