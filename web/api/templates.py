"""Board templates."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import templates
from web.context import actor, db
from web.responses import created, no_content, ok
from web.schemas.common import IdPath
from web.schemas.templates import TemplateCreate, TemplateUpdate

bp = APIBlueprint("templates", __name__, url_prefix="/api", abp_tags=[Tag(name="Board Templates")],
                  abp_security=[{"bearer": []}])


def _columns(body: TemplateCreate | TemplateUpdate) -> list[dict[str, object]]:
    return [c.model_dump(exclude_none=True) for c in body.columns or []]


@bp.get("/board-templates")
def list_templates():  # type: ignore[no-untyped-def]
    return ok(templates.list_templates(db()))


@bp.post("/board-templates")
def create_template(body: TemplateCreate):  # type: ignore[no-untyped-def]
    return created(templates.create_template(db(), actor(), body.name, _columns(body)))


@bp.patch("/board-templates/<id>")
def update_template(path: IdPath, body: TemplateUpdate):  # type: ignore[no-untyped-def]
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "columns" in changes:
        changes["columns"] = _columns(body)
    return ok(templates.update_template(db(), actor(), path.id, changes))


@bp.delete("/board-templates/<id>")
def delete_template(path: IdPath):  # type: ignore[no-untyped-def]
    templates.delete_template(db(), actor(), path.id)
    return no_content()
