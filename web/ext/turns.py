"""/api/ext/v1 turns of a task (seed 000): pushed in batches, listed beside Switchyard's own."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import turns
from orchestrator.ext import tasks
from orchestrator.ext.shapes import turn_json
from web.context import db
from web.ext.auth import EXT_PREFIX, key_grant
from web.schemas.ext import ExtTaskPath, ExtTurnBatch, ExtTurnQuery

bp = APIBlueprint("ext_turns", __name__, url_prefix=f"{EXT_PREFIX}/boards/<boardId>/tasks/<taskId>/turns",
                  abp_tags=[Tag(name="External API: turns")], abp_security=[{"bearer": []}])


@bp.post("")
def push_turns(path: ExtTaskPath, body: ExtTurnBatch):  # type: ignore[no-untyped-def]
    """Batch upsert: a turn already stored (same source and sourceId) is ignored."""
    card = tasks.get_task(db(), key_grant(), path.boardId, path.taskId, "edit")
    batch = [turn.model_dump(exclude_none=True) for turn in body.turns]
    inserted, marks = turns.upsert_turns(db(), card, batch)
    return {"data": {"inserted": inserted}, "watermarks": marks}, 201


@bp.get("")
def list_turns(path: ExtTaskPath, query: ExtTurnQuery):  # type: ignore[no-untyped-def]
    card = tasks.get_task(db(), key_grant(), path.boardId, path.taskId)
    page, cursor = turns.list_turns(db(), card.id, query.source, query.after, query.cursor, query.limit)
    marks = turns.watermarks(db(), card.id, {query.source} if query.source else None)
    return {"data": [turn_json(turn) for turn in page], "watermarks": marks, "cursor": cursor}


@bp.get("/watermark")
def get_watermarks(path: ExtTaskPath):  # type: ignore[no-untyped-def]
    card = tasks.get_task(db(), key_grant(), path.boardId, path.taskId)
    return {"watermarks": turns.watermarks(db(), card.id)}
