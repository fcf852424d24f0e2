"""The project assistant: a chat whose tools act on the board through the orchestrator's functions.

One conversation per project, shared by its people (the board is shared too); it is an
AgentSession of kind "assistant" run by the dispatcher like any session. Its tools create, update
and move cards as an `agent` actor, so history, events and the column rules apply as for anyone;
a refused change goes back to the model as a tool error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PRIORITY_NAMES, AgentMessage, AgentSession, Project
from orchestrator import boards, cards
from orchestrator.access import Actor, require_project
from orchestrator.agent_sessions import (
    RESUMABLE,
    message_chat_session,
    queue_chat_session,
    session_messages,
)
from orchestrator.chat_tools import ToolInput, as_text, run_tool, tool_spec, unknown_tool
from orchestrator.runtime import Runtime
from orchestrator.slash_commands import expand_slash_command
from workers.engines.base import ToolCall
from workers.tools import ToolOutcome

KIND = "assistant"
# The person who sends a message needs the editor role; the assistant then acts for the project.
ASSISTANT = Actor(kind="agent", role="super_admin", name="assistant")
RECENT_MESSAGES = 100
MAX_CONVERSATION = 400  # messages; past this, the next message starts a fresh conversation
MAX_LISTED_CARDS = 200
SYSTEM_PROMPT = """You are the assistant of the Switchyard project "{project}". Switchyard is a \
kanban board whose cards are work orders for AI coding agents: a card entering an active column \
starts an agent on it, and a done column completes it. You help the people of this project manage \
the board with your tools: list_columns and list_cards to look, create_card, update_card and \
move_card to change it. Use the ids the list tools return and never invent one. When a tool \
reports an error, tell the person or try another way. Answer briefly and say what you changed."""

Id = Annotated[str, Field(min_length=1, max_length=100)]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Prompt = Annotated[str, Field(max_length=100_000, description="the card's work order for the agent")]
Priority = Literal["none", "low", "medium", "high", "urgent"]
Labels = list[Annotated[str, Field(min_length=1, max_length=100)]]


class NoInput(ToolInput):
    pass


class ListCards(ToolInput):
    columnId: Id | None = Field(None, description="only the cards of this column")


class CreateCard(ToolInput):
    title: Title
    prompt: Prompt | None = None
    columnId: Id | None = Field(None, description="default: the first column of the first board")
    priority: Priority | None = None
    labels: Labels | None = None


class UpdateCard(ToolInput):
    cardId: Id
    title: Title | None = None
    prompt: Prompt | None = None
    priority: Priority | None = None
    labels: Labels | None = None


class MoveCard(ToolInput):
    cardId: Id
    columnId: Id


TOOLS = {
    "list_columns": (NoInput, "List the columns of the project's boards: id, name, type and board."),
    "list_cards": (ListCards, "List the project's cards (not archived), optionally of one column."),
    "create_card": (CreateCard, "Create a card; in an active column an agent starts on it."),
    "update_card": (UpdateCard, "Change a card's title, prompt, priority or labels."),
    "move_card": (MoveCard, "Move a card to the end of another column (the board's rules apply)."),
}
TOOL_SPECS = tuple(tool_spec(name, description, model) for name, (model, description) in TOOLS.items())


# What people do --------------------------------------------------------------------------------


def current_conversation(db: Session, project_id: str) -> AgentSession | None:
    return db.scalar(select(AgentSession).where(AgentSession.project_id == project_id, AgentSession.kind == KIND)
                     .order_by(AgentSession.queued_at.desc(), AgentSession.id.desc()).limit(1))


def assistant_state(db: Session, actor: Actor, project_id: str) -> tuple[AgentSession | None, list[AgentMessage]]:
    """The project's conversation (None before the first message) and its recent messages."""
    require_project(db, actor, project_id)
    conversation = current_conversation(db, project_id)
    if conversation is None:
        return None, []
    return conversation, session_messages(db, [conversation.id], limit=RECENT_MESSAGES)


def send_message(db: Session, actor: Actor, project_id: str, text: str) -> AgentSession:
    """Delivered at the assistant's next turn, or continuing the conversation once it answered."""
    project = require_project(db, actor, project_id, "editor")
    text = expand_slash_command(db, project, text)
    conversation = current_conversation(db, project_id)
    if conversation is None or (conversation.status in RESUMABLE and _too_long(db, conversation)):
        return queue_chat_session(db, project_id, KIND, text)
    message_chat_session(db, conversation, text)
    return conversation


def _too_long(db: Session, conversation: AgentSession) -> bool:
    count = db.scalar(select(func.count()).select_from(AgentMessage)
                      .where(AgentMessage.session_id == conversation.id))
    return (count or 0) >= MAX_CONVERSATION


# The conversation's side -----------------------------------------------------------------------


class AssistantChat:
    """The assistant's tools: each runs in its own short transaction as the ASSISTANT actor."""

    specs = TOOL_SPECS

    def __init__(self, runtime: Runtime, project_id: str, system: str) -> None:
        self.runtime, self.project_id, self.system = runtime, project_id, system

    def execute(self, call: ToolCall) -> ToolOutcome:
        handler: Callable[[Session, Any], Any] | None = getattr(self, f"_{call.name}", None)
        if call.name not in TOOLS or handler is None:
            return unknown_tool(call)
        return run_tool(call, TOOLS[call.name][0], lambda args: self._in_transaction(handler, args))

    def _in_transaction(self, handler: Callable[[Session, Any], Any], args: Any) -> str:
        with self.runtime.transaction() as db:
            return as_text(handler(db, args))

    def _list_columns(self, db: Session, args: NoInput) -> list[dict[str, Any]]:
        names = {b.id: b.name for b in boards.list_boards(db, ASSISTANT, self.project_id)}
        return [{"id": c.id, "name": c.name, "type": c.column_type, "board": names.get(c.board_id)}
                for c in boards.list_columns(db, ASSISTANT, self.project_id)]

    def _list_cards(self, db: Session, args: ListCards) -> dict[str, Any]:
        if args.columnId is not None:
            boards.get_column(db, ASSISTANT, self.project_id, args.columnId)
        rows = cards.list_cards(db, ASSISTANT, self.project_id, column_id=args.columnId)
        listed = [{"id": r.id, "shortId": r.short_id, "title": r.title, "columnId": r.column_id,
                   "priority": PRIORITY_NAMES[r.priority], "labels": _labels(r.labels)}
                  for r in rows[:MAX_LISTED_CARDS]]
        return {"cards": listed, "total": len(rows)}

    def _create_card(self, db: Session, args: CreateCard) -> dict[str, Any]:
        card = cards.create_card(db, ASSISTANT, self.project_id, args.model_dump(exclude_none=True))
        return {"id": card.id, "shortId": card.short_id, "columnId": card.column_id, "title": card.title}

    def _update_card(self, db: Session, args: UpdateCard) -> dict[str, Any]:
        fields = args.model_dump(exclude_none=True, exclude={"cardId"})
        card = cards.update_card(db, ASSISTANT, self.project_id, args.cardId, fields)
        return {"id": card.id, "updated": sorted(fields)}

    def _move_card(self, db: Session, args: MoveCard) -> dict[str, Any]:
        card = cards.move_card_by_id(db, ASSISTANT, self.project_id, args.cardId, args.columnId)
        return {"id": card.id, "columnId": card.column_id, "position": card.position}


def _labels(raw: Any) -> list[str]:
    """The card list reads labels raw (JSON text), as it stores them."""
    return json.loads(raw) if isinstance(raw, str) else list(raw or [])


def open_chat(db: Session, runtime: Runtime, conversation: AgentSession) -> AssistantChat:
    project = db.get(Project, conversation.project_id)
    name = project.name if project is not None else conversation.project_id
    return AssistantChat(runtime, conversation.project_id, SYSTEM_PROMPT.format(project=name))
