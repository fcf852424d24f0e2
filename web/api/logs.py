"""The service's own log, and where it is exported to."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import log_export, logs
from orchestrator.access import require_admin
from web.context import actor, db, runtime
from web.responses import ok
from web.schemas.logs import LogExportBody, LogQuery

bp = APIBlueprint("logs", __name__, url_prefix="/api", abp_tags=[Tag(name="Logs")],
                  abp_security=[{"bearer": []}])


@bp.get("/logs")
def list_logs(query: LogQuery):  # type: ignore[no-untyped-def]
    require_admin(actor(), "reading the service log")
    return ok(logs.read_entries(runtime().settings, query.level, query.search, query.limit))


@bp.get("/settings/log-export")
def get_log_export():  # type: ignore[no-untyped-def]
    return ok(log_export.get_config(db(), actor()))


@bp.put("/settings/log-export")
def put_log_export(body: LogExportBody):  # type: ignore[no-untyped-def]
    changes = body.changes(nullable=("url", "token"))
    return ok(log_export.update_config(db(), actor(), runtime().keyring, changes))


@bp.post("/settings/log-export/test")
def test_log_export():  # type: ignore[no-untyped-def]
    return ok(log_export.send_test(db(), actor(), runtime().keyring))
