"""The human gates: what waits for a person across their projects, and approving an advance."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import approvals
from web.context import actor, db
from web.responses import no_content, ok
from web.schemas.common import ProjectCardPath

bp = APIBlueprint("approvals", __name__, url_prefix="/api", abp_tags=[Tag(name="Approvals")],
                  abp_security=[{"bearer": []}])


@bp.get("/approvals")
def list_approvals():  # type: ignore[no-untyped-def]
    """Plans and auto-advances waiting for a person in the projects the caller sees, oldest first."""
    return ok(approvals.list_approvals(db(), actor()))


@bp.post("/projects/<projectId>/cards/<cardId>/approve-auto")
def approve_auto(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    """Let a card waiting at a transition that requires approval advance to its next column."""
    approvals.approve_auto(db(), actor(), path.projectId, path.cardId)
    return no_content()
