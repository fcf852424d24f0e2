"""Backups of the database, and the export of the whole instance's data."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from flask import Response, send_file
from flask_openapi3 import APIBlueprint, Tag

from orchestrator import backups, export
from web.context import actor, db, runtime
from web.responses import created, ok
from web.schemas.backups import BackupPath

bp = APIBlueprint("backups", __name__, url_prefix="/api", abp_tags=[Tag(name="Export & Backup")],
                  abp_security=[{"bearer": []}])


@bp.post("/backups")
def create_backup():  # type: ignore[no-untyped-def]
    return created(backups.create_backup(actor(), runtime().settings))


@bp.get("/backups")
def list_backups():  # type: ignore[no-untyped-def]
    return ok(backups.list_backups(actor(), runtime().settings))


@bp.get("/backups/<filename>")
def download_backup(path: BackupPath):  # type: ignore[no-untyped-def]
    file = backups.backup_path(actor(), runtime().settings, path.filename)
    return send_file(file, mimetype="application/vnd.sqlite3", as_attachment=True, download_name=file.name)


@bp.post("/export")
def export_data():  # type: ignore[no-untyped-def]
    document = export.export_instance(db(), actor())
    name = f"switchyard-export-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    return Response(orjson.dumps(document), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
