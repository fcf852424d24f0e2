"""The project assistant: one conversation per project whose tools change the board."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import AgentMessage, AgentSession
from orchestrator import assistant
from web.api.agents import message_json
from web.context import actor, db
from web.responses import ok
from web.schemas.agents import MessageBody
from web.schemas.common import ProjectPath

bp = APIBlueprint("assistant", __name__, url_prefix="/api/projects/<projectId>/assistant",
                  abp_tags=[Tag(name="Assistant")], abp_security=[{"bearer": []}])


def assistant_json(conversation: AgentSession | None, messages: list[AgentMessage]) -> dict[str, Any]:
    """`status` is "idle" before the first message, else the conversation's session status."""
    if conversation is None:
        return {"sessionId": None, "status": "idle", "model": None, "error": None, "messages": []}
    error = conversation.error_code
    return {
        "sessionId": conversation.id,
        "status": conversation.status,
        "model": conversation.model,
        "error": {"code": error, "message": conversation.error_message} if error else None,
        "messages": [message_json(m) for m in messages],
    }


@bp.get("")
def get_assistant(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok(assistant_json(*assistant.assistant_state(db(), actor(), path.projectId)))


@bp.post("/message")
def send_message(path: ProjectPath, body: MessageBody):  # type: ignore[no-untyped-def]
    assistant.send_message(db(), actor(), path.projectId, body.content)
    return ok(assistant_json(*assistant.assistant_state(db(), actor(), path.projectId)))
