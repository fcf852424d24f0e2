"""Pre-sessions: a conversation that refines a card's prompt; accepting writes it to the card."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import PreSession, iso
from orchestrator import pre_sessions
from web.api.agents import message_json
from web.context import actor, db
from web.responses import created, ok
from web.schemas.agents import MessageBody
from web.schemas.chat import PreSessionCreate, PreSessionPath
from web.schemas.common import ProjectPath

bp = APIBlueprint("pre_sessions", __name__, url_prefix="/api/projects/<projectId>/pre-session",
                  abp_tags=[Tag(name="Pre-sessions")], abp_security=[{"bearer": []}])


def pre_session_json(pre: PreSession) -> dict[str, Any]:
    """`status` is the pre-session's (open | accepted | cancelled); `agentStatus` its
    conversation's (queued or running while the model answers, completed once it has)."""
    conversation = pre_sessions.conversation_of(db(), pre)
    error = conversation.error_code if conversation is not None else None
    return {
        "id": pre.id,
        "sessionId": pre.id,
        "projectId": pre.project_id,
        "cardId": pre.card_id,
        "status": pre.status,
        "refinedPrompt": pre.refined_prompt,
        "agentSessionId": pre.agent_session_id,
        "agentStatus": conversation.status if conversation is not None else None,
        "error": {"code": error, "message": conversation.error_message} if error and conversation else None,
        "createdAt": iso(pre.created_at),
        "updatedAt": iso(pre.updated_at),
    }


@bp.post("")
def create_pre_session(path: ProjectPath, body: PreSessionCreate):  # type: ignore[no-untyped-def]
    return created(pre_session_json(pre_sessions.create_pre_session(db(), actor(), path.projectId, body.cardId)))


@bp.post("/<sessionId>/message")
def send_message(path: PreSessionPath, body: MessageBody):  # type: ignore[no-untyped-def]
    pre = pre_sessions.send_message(db(), actor(), path.projectId, path.sessionId, body.content)
    return ok(pre_session_json(pre))


@bp.post("/<sessionId>/accept")
def accept(path: PreSessionPath):  # type: ignore[no-untyped-def]
    return ok(pre_session_json(pre_sessions.accept(db(), actor(), path.projectId, path.sessionId)))


@bp.post("/<sessionId>/cancel")
def cancel(path: PreSessionPath):  # type: ignore[no-untyped-def]
    return ok(pre_session_json(pre_sessions.cancel(db(), actor(), path.projectId, path.sessionId)))


@bp.get("/<sessionId>/messages")
def list_messages(path: PreSessionPath):  # type: ignore[no-untyped-def]
    pre = pre_sessions.get_pre_session(db(), actor(), path.projectId, path.sessionId)
    messages = [message_json(m) for m in pre_sessions.conversation_messages(db(), pre)]
    return ok({**pre_session_json(pre), "messages": messages})
