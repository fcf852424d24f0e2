"""Pre-sessions: a conversation with a model that refines a card's prompt before any agent runs.

The conversation is an AgentSession of kind "pre_session", run by the dispatcher like any other
session (no request ever waits on a model). The PreSession row holds the card, the status
(open | accepted | cancelled) and the prompt the model last proposed with its one tool,
`propose_prompt`; accepting writes that prompt to the card, with history and a card.updated event.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    ACTIVE_SESSION_STATUSES,
    AgentMessage,
    AgentSession,
    Card,
    Column,
    PreSession,
    Project,
)
from orchestrator import cards
from orchestrator.access import Actor, require_in_project
from orchestrator.agent_sessions import (
    message_chat_session,
    queue_chat_session,
    request_cancel,
    session_messages,
)
from orchestrator.chat_tools import ToolInput, run_tool, tool_spec, unknown_tool
from orchestrator.errors import Conflict, NotFound
from orchestrator.runtime import Runtime
from orchestrator.slash_commands import expand_slash_command
from workers.engines.base import ToolCall
from workers.tools import ToolOutcome

KIND = "pre_session"
SYSTEM_PROMPT = """You help a person write the prompt of one card on the Switchyard kanban board of \
the project "{project}". A card's prompt is the work order a coding agent will follow in the \
project's git repository. Ask short questions where the goal, the scope or how to check the result \
is unclear, and suggest what is missing (files, constraints, tests). When you can, call \
propose_prompt with the complete prompt, not a summary or a diff: each call replaces the last \
proposal, and the person either accepts it, which writes it to the card, or keeps talking. You \
cannot read or change files yourself."""


class ProposePrompt(ToolInput):
    prompt: Annotated[str, Field(min_length=1, max_length=100_000,
                                 description="the card's whole new prompt, ready for the coding agent")]


PROPOSE_PROMPT = tool_spec(
    "propose_prompt", "Propose the card's complete refined prompt; the person may accept it.", ProposePrompt)


# What people do --------------------------------------------------------------------------------


def create_pre_session(db: Session, actor: Actor, project_id: str, card_id: str) -> PreSession:
    card = cards.get_card(db, actor, project_id, card_id, "editor")
    column = db.get(Column, card.column_id)
    conversation = queue_chat_session(db, project_id, KIND, opening_message(card, column))
    pre = PreSession(project_id=project_id, card_id=card.id, agent_session_id=conversation.id)
    db.add(pre)
    db.flush()
    return pre


def opening_message(card: Card, column: Column | None) -> str:
    """The first user message: the card as it stands, and what is asked of the model."""
    where = f"{column.name} ({column.column_type} column)" if column else "no column"
    return (f"Help me refine the prompt of this card before a coding agent works on it.\n\n"
            f"Title: {card.title}\nColumn: {where}\n"
            f"Current prompt:\n{card.prompt.strip() or '(empty)'}\n\n"
            "Ask me what you need to know, then propose the complete prompt with propose_prompt.")


def get_pre_session(db: Session, actor: Actor, project_id: str, pre_id: str, need: str = "viewer") -> PreSession:
    return require_in_project(db, actor, PreSession, "pre-session", project_id, pre_id, need)


def send_message(db: Session, actor: Actor, project_id: str, pre_id: str, text: str) -> PreSession:
    """Delivered at the model's next turn, or continuing the conversation once it has answered."""
    pre = _open_pre_session(db, actor, project_id, pre_id)
    project = db.get(Project, project_id)
    assert project is not None
    message_chat_session(db, _conversation(db, pre), expand_slash_command(db, project, text))
    return pre


def accept(db: Session, actor: Actor, project_id: str, pre_id: str) -> PreSession:
    """The last proposed prompt becomes the card's; the conversation ends."""
    pre = _open_pre_session(db, actor, project_id, pre_id)
    if not pre.refined_prompt:
        raise Conflict(f"pre-session {pre_id} has no proposed prompt yet", code="no_refined_prompt")
    card = db.get(Card, pre.card_id)
    if card is None:
        raise NotFound.of("card", pre.card_id)
    cards.apply_changes(db, actor, card, {"prompt": pre.refined_prompt})
    _close(db, pre, "accepted")
    return pre


def cancel(db: Session, actor: Actor, project_id: str, pre_id: str) -> PreSession:
    pre = _open_pre_session(db, actor, project_id, pre_id)
    _close(db, pre, "cancelled")
    return pre


def conversation_of(db: Session, pre: PreSession) -> AgentSession | None:
    return db.get(AgentSession, pre.agent_session_id) if pre.agent_session_id else None


def conversation_messages(db: Session, pre: PreSession) -> list[AgentMessage]:
    return session_messages(db, [pre.agent_session_id], limit=1000) if pre.agent_session_id else []


def _open_pre_session(db: Session, actor: Actor, project_id: str, pre_id: str) -> PreSession:
    pre = get_pre_session(db, actor, project_id, pre_id, "editor")
    db.refresh(pre, with_for_update=True)  # the model's proposal and an accept never interleave
    if pre.status != "open":
        raise Conflict(f"pre-session {pre_id} is {pre.status}", code="pre_session_closed")
    return pre


def _conversation(db: Session, pre: PreSession) -> AgentSession:
    conversation = conversation_of(db, pre)
    if conversation is None:
        raise Conflict(f"pre-session {pre.id} has lost its conversation", code="pre_session_closed")
    return conversation


def _close(db: Session, pre: PreSession, status: str) -> None:
    pre.status = status
    conversation = conversation_of(db, pre)
    if conversation is not None and conversation.status in ACTIVE_SESSION_STATUSES:
        request_cancel(db, conversation)


# The conversation's side -----------------------------------------------------------------------


class PreSessionChat:
    """The system prompt and the one tool of a pre-session's conversation."""

    specs = (PROPOSE_PROMPT,)

    def __init__(self, runtime: Runtime, pre_session_id: str, system: str) -> None:
        self.runtime, self.pre_session_id, self.system = runtime, pre_session_id, system

    def execute(self, call: ToolCall) -> ToolOutcome:
        if call.name != PROPOSE_PROMPT.name:
            return unknown_tool(call)
        return run_tool(call, ProposePrompt, self._propose)

    def _propose(self, args: ProposePrompt) -> str:
        with self.runtime.transaction() as db:
            pre = db.get(PreSession, self.pre_session_id, with_for_update=True)
            if pre is None:
                raise NotFound.of("pre-session", self.pre_session_id)
            if pre.status != "open":
                raise Conflict(f"the pre-session is {pre.status}; it takes no more proposals")
            pre.refined_prompt = args.prompt
        return "Proposed. The person can accept it, which writes it to the card, or keep talking."


def open_chat(db: Session, runtime: Runtime, conversation: AgentSession) -> tuple[PreSessionChat, Card, Column | None]:
    """The chat of a claimed conversation, with the card and column its credential resolves from."""
    pre = db.scalar(select(PreSession).where(PreSession.agent_session_id == conversation.id))
    card = db.get(Card, pre.card_id) if pre is not None else None
    if pre is None or card is None:
        raise NotFound("the pre-session or its card was deleted", code="card_gone")
    if pre.status != "open":
        raise Conflict(f"the pre-session is {pre.status}", code="pre_session_closed")
    project = db.get(Project, card.project_id)
    system = SYSTEM_PROMPT.format(project=project.name if project else card.project_id)
    return PreSessionChat(runtime, pre.id, system), card, db.get(Column, card.column_id)
