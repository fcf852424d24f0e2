"""Seed 004's agent knowledge and extras: memories, progress, context, api-docs, prompt-preview
and check-stalls (the registry itself is web/v1/agents.py)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.team import briefing, memories, progress
from web.context import db
from web.schemas.team_more import (
    AgentMemoryQuery,
    MemoryBody,
    MemoryPath,
    MemoryQuery,
    MemorySearchQuery,
    PreviewQuery,
    ProgressBody,
    SharedMemoryQuery,
)
from web.schemas.v1 import IdPath, NamePath
from web.v1.context import bare, team

bp = APIBlueprint("v1_memories", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: knowledge")],
                  abp_security=[{"bearer": []}])


@bp.get("/agents/memories")
def list_memories(query: MemoryQuery):  # type: ignore[no-untyped-def]
    return bare(memories.listing(memories.list_memories(db(), team(), query.type, query.agent)))


@bp.get("/agents/memories/shared")
def shared_memories(query: SharedMemoryQuery):  # type: ignore[no-untyped-def]
    tags = [t.strip() for t in (query.tags or "").split(",") if t.strip()]
    return bare(memories.listing(memories.shared_memories(db(), team(), tags, query.limit)))


@bp.get("/agents/memories/expired")
def expired_memories():  # type: ignore[no-untyped-def]
    return bare(memories.listing(memories.expired_memories(db(), team())))


@bp.get("/agents/memories/search")
def search_memories(query: MemorySearchQuery):  # type: ignore[no-untyped-def]
    return bare(memories.listing(memories.search_memories(db(), team(), query.q, query.type, query.agent)))


@bp.post("/agents/memories/<id>/revalidate")
def revalidate_memory(path: IdPath):  # type: ignore[no-untyped-def]
    return bare(memories.memory_json(memories.revalidate(db(), team(), path.id)))


@bp.get("/agents/<name>/memories")
def agent_memories(path: NamePath, query: AgentMemoryQuery):  # type: ignore[no-untyped-def]
    return bare(memories.listing(memories.list_memories(db(), team(), query.type, path.name)))


@bp.put("/agents/<name>/memories/<key>")
def upsert_memory(path: MemoryPath, body: MemoryBody):  # type: ignore[no-untyped-def]
    row, created = memories.upsert_memory(db(), team(), path.name, path.key, body.model_dump(exclude_none=True))
    return bare(memories.memory_json(row), 201 if created else 200)


@bp.delete("/agents/<name>/memories/<key>")
def delete_memory(path: MemoryPath):  # type: ignore[no-untyped-def]
    memories.delete_memory(db(), team(), path.name, path.key)
    return bare({"ok": True, "agent_name": path.name, "key": path.key})


@bp.post("/agents/progress")
def report_progress(body: ProgressBody):  # type: ignore[no-untyped-def]
    return bare(progress.progress_json(progress.report(db(), team(), body.model_dump(exclude_none=True))), 201)


@bp.get("/agents/progress/latest")
def latest_progress():  # type: ignore[no-untyped-def]
    return bare([progress.progress_json(row) for row in progress.latest_per_agent(db(), team())])


@bp.delete("/agents/progress/purge")
def purge_progress():  # type: ignore[no-untyped-def]
    return bare({"ok": True, "deleted": progress.purge(db(), team())})


@bp.get("/agents/<name>/progress")
def agent_progress(path: NamePath):  # type: ignore[no-untyped-def]
    return bare([progress.progress_json(row) for row in progress.agent_progress(db(), team(), path.name)])


@bp.post("/agents/check-stalls")
def check_stalls():  # type: ignore[no-untyped-def]
    return bare(progress.check_stalls(db(), team()))


@bp.get("/agents/<name>/context")
def agent_context(path: NamePath):  # type: ignore[no-untyped-def]
    return bare(briefing.agent_context(db(), team(), path.name))


@bp.get("/agents/<name>/api-docs")
def api_docs(path: NamePath):  # type: ignore[no-untyped-def]
    return bare(briefing.api_docs(db(), team(), path.name))


@bp.get("/agents/<name>/prompt-preview")
def prompt_preview(path: NamePath, query: PreviewQuery):  # type: ignore[no-untyped-def]
    return bare(briefing.prompt_preview(db(), team(), path.name, query.mode))
