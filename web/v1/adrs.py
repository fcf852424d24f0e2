"""Seed 004's architecture decision records, messages and failure records."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.team import adrs, failures, messages
from web.context import db
from web.schemas.team_more import (
    AdrCreate,
    AdrUpdate,
    FailureBody,
    FailureQuery,
    MessageBody,
    MessageQuery,
    RelevantQuery,
)
from web.schemas.v1 import IdPath
from web.v1.context import bare, team

bp = APIBlueprint("v1_adrs", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: decisions")],
                  abp_security=[{"bearer": []}])


@bp.get("/adr")
def list_adrs():  # type: ignore[no-untyped-def]
    return bare([adrs.adr_json(row) for row in adrs.list_adrs(db(), team())])


@bp.get("/adr/prompt")
def adr_prompt():  # type: ignore[no-untyped-def]
    return bare({"prompt": adrs.prompt_text(db(), team().id)})


@bp.post("/adr")
def create_adr(body: AdrCreate):  # type: ignore[no-untyped-def]
    row = adrs.create_adr(db(), team(), body.model_dump(exclude_none=True))
    return bare({"id": row.id, "number": row.number}, 201)


@bp.get("/adr/<id>")
def get_adr(path: IdPath):  # type: ignore[no-untyped-def]
    return bare(adrs.adr_json(adrs.get_adr(db(), team(), path.id)))


@bp.patch("/adr/<id>")
def update_adr(path: IdPath, body: AdrUpdate):  # type: ignore[no-untyped-def]
    return bare(adrs.adr_json(adrs.update_adr(db(), team(), path.id, body.model_dump(exclude_unset=True))))


@bp.delete("/adr/<id>")
def delete_adr(path: IdPath):  # type: ignore[no-untyped-def]
    adrs.delete_adr(db(), team(), path.id)
    return bare({"ok": True, "id": path.id})


@bp.get("/messages")
def list_messages(query: MessageQuery):  # type: ignore[no-untyped-def]
    rows = messages.list_messages(db(), team(), query.channel, query.mode)
    return bare([messages.message_json(row) for row in rows])


@bp.post("/messages")
def send_message(body: MessageBody):  # type: ignore[no-untyped-def]
    fields = {"from": body.sender, "to": body.to, "content": body.content}
    return bare(messages.message_json(messages.send_message(db(), team(), fields)), 201)


@bp.get("/failures")
def list_failures(query: FailureQuery):  # type: ignore[no-untyped-def]
    return bare([failures.failure_json(row) for row in failures.list_failures(db(), team(), query.limit)])


@bp.post("/failures")
def report_failure(body: FailureBody):  # type: ignore[no-untyped-def]
    row = failures.report_failure(db(), team(), body.model_dump(exclude_none=True))
    return bare(failures.failure_json(row), 201)


@bp.get("/failures/relevant")
def relevant_failures(query: RelevantQuery):  # type: ignore[no-untyped-def]
    return bare([failures.relevant_json(row) for row in failures.list_failures(db(), team(), query.limit)])
