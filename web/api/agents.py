"""A card's agent: its sessions, messages and the human gates (plan approval, cancel, retry)."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import AgentMessage, AgentSession, iso
from orchestrator import agent_sessions, boards, cards
from orchestrator.access import require_project
from orchestrator.card_summary import card_summary
from orchestrator.errors import NotFound
from orchestrator.prompts import compose_prompt
from web.context import actor, db
from web.responses import no_content, ok
from web.schemas.agents import MessageBody, MessagesQuery, PlanDecision, PreviewQuery
from web.schemas.common import ProjectCardPath, ProjectPath

bp = APIBlueprint("agents", __name__, url_prefix="/api/projects/<projectId>", abp_tags=[Tag(name="Agents")],
                  abp_security=[{"bearer": []}])


def session_json(row: AgentSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "sessionId": row.id,
        "cardId": row.card_id,
        "columnId": row.column_id,
        "status": row.status,
        "engine": row.engine,
        "model": row.model,
        "credentialId": row.credential_id,
        "attempt": row.attempt,
        "branch": row.branch,
        "worktreePath": row.worktree_path,
        "baseCommit": row.base_commit,
        "headCommit": row.head_commit,
        "queuedAt": iso(row.queued_at),
        "startedAt": iso(row.started_at),
        "endedAt": iso(row.ended_at),
        "error": {"code": row.error_code, "message": row.error_message} if row.error_code else None,
        "summary": row.summary,
        "plan": row.plan,
        "diffStats": row.diff_stats,
        "usage": {
            "inputTokens": row.input_tokens, "outputTokens": row.output_tokens,
            "cacheReadTokens": row.cache_read_tokens, "cacheWriteTokens": row.cache_write_tokens,
            "costUsd": round(row.cost_usd, 6), "costKnown": row.cost_known,
        },
    }


def message_json(row: AgentMessage) -> dict[str, Any]:
    is_call = row.kind == "tool_call"
    is_result = row.kind in ("tool_result", "plan") and row.tool_call_id is not None
    return {
        "id": row.id,
        "sessionId": row.session_id,
        "seq": row.seq,
        "kind": row.kind,
        "text": row.text,
        "tool": {"callId": row.tool_call_id, "name": row.tool_name, "input": row.tool_input} if is_call else None,
        "result": {"callId": row.tool_call_id, "output": row.text, "isError": row.is_error} if is_result else None,
        "delivered": row.delivered,
        "createdAt": iso(row.created_at),
    }


def _card(path: ProjectCardPath, need: str = "viewer"):  # type: ignore[no-untyped-def]
    return cards.get_card(db(), actor(), path.projectId, path.cardId, need)


@bp.get("/cards/<cardId>/agent")
def get_agent(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    found = agent_sessions.latest_session(db(), _card(path).id)
    if found is None:
        raise NotFound(f"card {path.cardId} has no agent session yet", code="no_session")
    return ok(session_json(found))


@bp.get("/cards/<cardId>/agent/sessions")
def list_sessions(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    return ok([session_json(s) for s in agent_sessions.card_sessions(db(), _card(path).id)])


@bp.get("/cards/<cardId>/agent/history")
def session_history(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    rows = agent_sessions.card_sessions(db(), _card(path).id)
    return ok([{key: session_json(s)[key] for key in
                ("sessionId", "columnId", "status", "summary", "startedAt", "endedAt", "error", "usage")}
               for s in rows])


@bp.get("/cards/<cardId>/agent/messages")
def list_messages(path: ProjectCardPath, query: MessagesQuery):  # type: ignore[no-untyped-def]
    card = _card(path)
    ids = [s.id for s in agent_sessions.card_sessions(db(), card.id)]
    if query.sessionId is not None:
        if query.sessionId not in ids:
            raise NotFound.of("session", query.sessionId)
        ids = [query.sessionId]
    rows = agent_sessions.session_messages(db(), ids, query.since, query.before, query.limit)
    return ok([message_json(m) for m in rows])


@bp.post("/cards/<cardId>/agent/message")
def send_message(path: ProjectCardPath, body: MessageBody):  # type: ignore[no-untyped-def]
    return ok(session_json(agent_sessions.send_message(db(), _card(path, "editor"), body.content)))


@bp.post("/cards/<cardId>/agent/cancel")
def cancel(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    agent_sessions.cancel_agent(db(), _card(path, "editor"))
    return no_content()


@bp.post("/cards/<cardId>/agent/plan-approve")
def plan_approve(path: ProjectCardPath, body: PlanDecision):  # type: ignore[no-untyped-def]
    decided = agent_sessions.decide_plan(db(), _card(path, "editor"), body.approved, body.feedback)
    return ok(session_json(decided))


@bp.post("/cards/<cardId>/agent/retry")
def retry(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    agent_sessions.retry(db(), _card(path, "editor"))
    return no_content()


@bp.post("/cards/<cardId>/agent/relaunch")
def relaunch(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    agent_sessions.relaunch(db(), _card(path, "editor"))
    return no_content()


@bp.post("/cards/<cardId>/agent/relay")
def relay(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    """A fresh session in the card's column, told what the earlier sessions did."""
    agent_sessions.relay(db(), _card(path, "editor"))
    return no_content()


@bp.post("/cards/<cardId>/summary")
def summary(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    """A readable account of the card's agent work, from the records (no model is asked)."""
    return ok({"summary": card_summary(db(), _card(path))})


@bp.get("/cards/<cardId>/prompt-preview")
def prompt_preview(path: ProjectCardPath, query: PreviewQuery):  # type: ignore[no-untyped-def]
    card = _card(path)
    column = boards.get_column(db(), actor(), path.projectId, query.columnId or card.column_id)
    prompt = compose_prompt(db(), card, column)
    return ok({"system": prompt.system, "user": prompt.user, "columnId": column.id})


@bp.get("/active-agents")
def active_agents(path: ProjectPath):  # type: ignore[no-untyped-def]
    require_project(db(), actor(), path.projectId)
    rows = agent_sessions.project_active_sessions(db(), path.projectId)
    return ok([{"cardId": s.card_id, "cardTitle": title, "sessionId": s.id, "status": s.status,
                "columnId": s.column_id, "startedAt": iso(s.started_at)} for s, title in rows])
