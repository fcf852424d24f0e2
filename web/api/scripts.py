"""A project's scripts: the list, changes to it, runs, their status and output, cancel."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Script, ScriptRun
from orchestrator import scripts
from orchestrator.scripts import ScriptStatus
from web.context import actor, db, runtime
from web.responses import created, iso, no_content, ok
from web.schemas.common import ProjectPath, ReorderBody
from web.schemas.scripts import RunPath, ScriptCreate, ScriptPath, ScriptUpdate

bp = APIBlueprint("scripts", __name__, url_prefix="/api/projects/<projectId>/scripts",
                  abp_tags=[Tag(name="Scripts")], abp_security=[{"bearer": []}])


def script_json(script: Script) -> dict[str, Any]:
    return {"id": script.id, "projectId": script.project_id, "name": script.name, "command": script.command,
            "position": script.position, "createdAt": iso(script.created_at), "updatedAt": iso(script.updated_at)}


def run_json(run: ScriptRun, output: dict[str, str] | None = None) -> dict[str, Any]:
    """A run; `output` is either its whole output or, in the status list, its tail."""
    return {"id": run.id, "runId": run.id, "scriptId": run.script_id, "status": run.status,
            "exitCode": run.exit_code, "startedAt": iso(run.started_at), "endedAt": iso(run.ended_at),
            **(output if output is not None else {"output": run.output})}


def status_json(item: ScriptStatus) -> dict[str, Any]:
    run = item.last_run
    return {"scriptId": item.script.id, "name": item.script.name, "position": item.script.position,
            "running": run is not None and run.status == "running",
            "lastRun": run_json(run, {"outputTail": item.output_tail}) if run is not None else None}


@bp.get("")
def list_scripts(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok([script_json(s) for s in scripts.list_scripts(db(), actor(), path.projectId)])


@bp.post("")
def create_script(path: ProjectPath, body: ScriptCreate):  # type: ignore[no-untyped-def]
    return created(script_json(scripts.create_script(db(), actor(), path.projectId, body.name, body.command)))


@bp.put("/reorder")
def reorder_scripts(path: ProjectPath, body: ReorderBody):  # type: ignore[no-untyped-def]
    return ok([script_json(s) for s in scripts.reorder_scripts(db(), actor(), path.projectId, body.ids)])


@bp.get("/status")
def scripts_status(path: ProjectPath):  # type: ignore[no-untyped-def]
    """Each script with its latest run (status, exit code, times and the last 4,000 characters
    of its output); a run's whole output is at /scripts/{scriptId}/runs/{runId}."""
    return ok([status_json(item) for item in scripts.scripts_status(db(), actor(), path.projectId)])


@bp.put("/<scriptId>")
def update_script(path: ScriptPath, body: ScriptUpdate):  # type: ignore[no-untyped-def]
    changed = scripts.update_script(db(), actor(), path.projectId, path.scriptId, body.changes())
    return ok(script_json(changed))


@bp.delete("/<scriptId>")
def delete_script(path: ScriptPath):  # type: ignore[no-untyped-def]
    scripts.delete_script(db(), actor(), path.projectId, path.scriptId)
    return no_content()


@bp.post("/<scriptId>/run")
def run_script(path: ScriptPath):  # type: ignore[no-untyped-def]
    """Start the script in the project's directory; output arrives as script.output events."""
    return created(run_json(scripts.run_script(db(), runtime(), actor(), path.projectId, path.scriptId)))


@bp.post("/<scriptId>/cancel")
def cancel_script(path: ScriptPath):  # type: ignore[no-untyped-def]
    return ok(run_json(scripts.cancel_script(db(), actor(), path.projectId, path.scriptId)))


@bp.get("/<scriptId>/runs/<runId>")
def get_run(path: RunPath):  # type: ignore[no-untyped-def]
    return ok(run_json(scripts.get_run(db(), actor(), path.projectId, path.scriptId, path.runId)))
