"""Browsing directories (to pick a project's path) and reading files of registered projects."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import filesystem
from web.context import actor, db, runtime
from web.responses import ok
from web.schemas.filesystem import BrowseQuery, ReadQuery

bp = APIBlueprint("filesystem", __name__, url_prefix="/api/filesystem", abp_tags=[Tag(name="Filesystem")],
                  abp_security=[{"bearer": []}])


@bp.get("/browse")
def browse(query: BrowseQuery):  # type: ignore[no-untyped-def]
    return ok(filesystem.browse(actor(), runtime().settings, query.path))


@bp.get("/read")
def read(query: ReadQuery):  # type: ignore[no-untyped-def]
    return ok(filesystem.read_file(db(), actor(), runtime().settings, query.path))
