"""Projects, their files and their credential."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask_openapi3 import APIBlueprint, Tag

from models import AgentSession, Project
from orchestrator import access, card_views, housekeeping, project_export, projects, user_settings
from orchestrator.usage import EMPTY, usage_by
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.common import IdPath, ProjectPath, ReorderBody
from web.schemas.organizations import OrgHeader
from web.schemas.projects import CredentialRef, ProjectCreate, ProjectListQuery, ProjectUpdate

# Fields an explicit null clears; a null for any other field is ignored, as for columns.
NULLABLE = ("defaultCredentialId", "maxConcurrentSessions")

bp = APIBlueprint("projects", __name__, url_prefix="/api", abp_tags=[Tag(name="Projects")],
                  abp_security=[{"bearer": []}])


def project_json(project: Project, usage: dict[str, Any] | None = None, role: str | None = None,
                 disk_bytes: int = 0) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "path": project.path,
        "description": project.description,
        "baseBranch": project.base_branch,
        "organizationId": project.organization_id,
        "ownerId": project.owner_id,
        "defaultCredentialId": project.default_credential_id,
        "worktreeInclude": project.worktree_include,
        "maxConcurrentSessions": project.max_concurrent_sessions,
        "position": project.position,
        "role": role,
        "usage": usage or EMPTY,
        "worktreeDiskBytes": disk_bytes,  # measured by the housekeeping jobs, not per request
        "lastOpenedAt": iso(project.last_opened_at),
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.updated_at),
    }


def _one(project: Project) -> dict[str, Any]:
    session = db()
    usage = usage_by(session, AgentSession.project_id, AgentSession.project_id == project.id)
    disk = housekeeping.worktree_disk_bytes(session, [project.id])
    return project_json(project, usage.get(project.id), access.project_role(session, actor(), project),
                        disk.get(project.id, 0))


def _many(found: list[Project]) -> list[dict[str, Any]]:
    session = db()
    usage = usage_by(session, AgentSession.project_id, AgentSession.project_id.in_([p.id for p in found]))
    roles = access.project_roles(session, actor(), found)
    disk = housekeeping.worktree_disk_bytes(session, [p.id for p in found])
    return [project_json(p, usage.get(p.id), roles[p.id], disk.get(p.id, 0)) for p in found]


@bp.get("/projects")
def list_projects(query: ProjectListQuery, header: OrgHeader):  # type: ignore[no-untyped-def]
    """`organizationId` (or the X-Organization-Id header) limits the list to one organization."""
    organization_id = query.organizationId or header.organization_id
    return ok(_many(projects.list_projects(db(), actor(), organization_id)))


@bp.post("/projects")
def create_project(body: ProjectCreate, header: OrgHeader):  # type: ignore[no-untyped-def]
    """Without `organizationId`, the project joins the X-Organization-Id header's organization."""
    fields = body.model_dump()
    fields["organizationId"] = fields.get("organizationId") or header.organization_id
    return created(_one(projects.create_project(db(), actor(), fields)))


@bp.patch("/projects/reorder")
def reorder_projects(body: ReorderBody):  # type: ignore[no-untyped-def]
    return ok(_many(projects.reorder_projects(db(), actor(), body.ids)))


@bp.get("/projects/<id>")
def get_project(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(_one(projects.get_project(db(), actor(), path.id)))


@bp.patch("/projects/<id>")
def update_project(path: IdPath, body: ProjectUpdate):  # type: ignore[no-untyped-def]
    fields = body.changes(nullable=NULLABLE)
    return ok(_one(projects.update_project(db(), actor(), path.id, fields)))


@bp.delete("/projects/<id>")
def delete_project(path: IdPath):  # type: ignore[no-untyped-def]
    projects.delete_project(db(), actor(), path.id)
    return no_content()


@bp.patch("/projects/<id>/last-opened")
def mark_last_opened(path: IdPath):  # type: ignore[no-untyped-def]
    user_settings.remember_last_opened(db(), actor(), path.id)
    return no_content()


@bp.post("/projects/<id>/mark-all-read")
def mark_all_read(path: IdPath):  # type: ignore[no-untyped-def]
    card_views.mark_project_read(db(), actor(), path.id)
    return no_content()


@bp.get("/projects/<id>/export")
def export_project(path: IdPath):  # type: ignore[no-untyped-def]
    """The whole project as a JSON file download (no `data` envelope: the file is the document)."""
    document = project_export.export_project(db(), actor(), path.id)
    filename = project_export.export_filename(document["project"])
    return Response(orjson.dumps(document, option=orjson.OPT_INDENT_2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/projects/<projectId>/files")
def project_files(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok(projects.project_files(db(), actor(), path.projectId))


@bp.put("/projects/<projectId>/credential")
def set_project_credential(path: ProjectPath, body: CredentialRef):  # type: ignore[no-untyped-def]
    project = projects.set_project_credential(db(), actor(), path.projectId, body.credentialId)
    return ok(_one(project))
