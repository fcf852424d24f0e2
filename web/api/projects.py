"""Projects, their files and their credential."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import AgentSession, Project
from orchestrator import access, projects
from orchestrator.usage import EMPTY, usage_by
from web.context import actor, db
from web.responses import created, iso, no_content, ok
from web.schemas.common import IdPath, ProjectPath
from web.schemas.projects import CredentialRef, ProjectCreate, ProjectListQuery, ProjectUpdate

# Fields an explicit null clears; a null for any other field is ignored, as for columns.
NULLABLE = ("defaultCredentialId", "maxConcurrentSessions")

bp = APIBlueprint("projects", __name__, url_prefix="/api", abp_tags=[Tag(name="Projects")],
                  abp_security=[{"bearer": []}])


def project_json(project: Project, usage: dict[str, Any] | None = None, role: str | None = None) -> dict[str, Any]:
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
        "worktreeDiskBytes": 0,
        "lastOpenedAt": iso(project.last_opened_at),
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.updated_at),
    }


def _one(project: Project) -> dict[str, Any]:
    session = db()
    usage = usage_by(session, AgentSession.project_id, AgentSession.project_id == project.id)
    return project_json(project, usage.get(project.id), access.project_role(session, actor(), project))


@bp.get("/projects")
def list_projects(query: ProjectListQuery):  # type: ignore[no-untyped-def]
    session = db()
    found = projects.list_projects(session, actor(), query.organizationId)
    usage = usage_by(session, AgentSession.project_id, AgentSession.project_id.in_([p.id for p in found]))
    roles = access.project_roles(session, actor(), found)
    return ok([project_json(p, usage.get(p.id), roles[p.id]) for p in found])


@bp.post("/projects")
def create_project(body: ProjectCreate):  # type: ignore[no-untyped-def]
    return created(_one(projects.create_project(db(), actor(), body.model_dump())))


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


@bp.get("/projects/<projectId>/files")
def project_files(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok(projects.project_files(db(), actor(), path.projectId))


@bp.put("/projects/<projectId>/credential")
def set_project_credential(path: ProjectPath, body: CredentialRef):  # type: ignore[no-untyped-def]
    project = projects.set_project_credential(db(), actor(), path.projectId, body.credentialId)
    return ok(_one(project))
