from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from web.schemas.common import Body, Ident, UtcTime

Content = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class MessageBody(Body):
    content: Content


class PlanDecision(Body):
    approved: bool
    feedback: Annotated[str, StringConstraints(max_length=100_000)] | None = None


class MessagesQuery(BaseModel):
    sessionId: Ident | None = None
    since: UtcTime | None = Field(None, description="messages created after this time")
    before: UtcTime | None = Field(None, description="messages created before this time")
    limit: Annotated[int, Field(ge=1, le=1000)] = 200


class PreviewQuery(BaseModel):
    columnId: Ident | None = Field(None, description="default: the card's column")
