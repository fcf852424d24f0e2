"""The slash commands a project's agents understand: built-ins and `.claude/commands/*.md`."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.access import require_project
from orchestrator.slash_commands import list_slash_commands
from web.context import actor, db
from web.responses import ok
from web.schemas.common import ProjectPath

bp = APIBlueprint("slash_commands", __name__, url_prefix="/api/projects/<projectId>",
                  abp_tags=[Tag(name="Slash commands")], abp_security=[{"bearer": []}])


@bp.get("/slash-commands")
def slash_commands(path: ProjectPath):  # type: ignore[no-untyped-def]
    """A message to an agent that starts with one of these names is sent as its prompt."""
    project = require_project(db(), actor(), path.projectId)
    return ok([{"name": f"/{c.name}", "description": c.description, "source": c.source,
                "argumentHint": c.argument_hint, "prompt": c.prompt} for c in list_slash_commands(project)])
