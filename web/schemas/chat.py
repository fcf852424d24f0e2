"""Bodies and paths of the chats: pre-sessions and the project assistant (messages use
`web.schemas.agents.MessageBody`, as messages to a card's agent do)."""

from __future__ import annotations

from web.schemas.common import Body, Ident, ProjectPath


class PreSessionCreate(Body):
    cardId: Ident


class PreSessionPath(ProjectPath):
    sessionId: Ident
