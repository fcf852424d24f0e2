"""Projects: a git repository on this machine, with its boards and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Organization, OrgMember, Project
from orchestrator import attachments, boards
from orchestrator.access import Actor, require_project, visible_projects
from orchestrator.credentials import require_usable_credential
from orchestrator.errors import Forbidden, InvalidInput, NotFound
from orchestrator.ordering import apply_order
from workers import repo as git_repo

DEFAULT_BOARD_NAME = "Main Board"


def list_projects(session: Session, actor: Actor, organization_id: str | None = None) -> list[Project]:
    query = select(Project).where(visible_projects(actor))
    if organization_id is not None:
        query = query.where(Project.organization_id == organization_id)
    return list(session.scalars(query.order_by(Project.position, Project.created_at)))


def reorder_projects(session: Session, actor: Actor, ids: list[str]) -> list[Project]:
    """Order the projects the actor sees. They keep the positions they held between them, so the
    order of projects the actor cannot see is left alone."""
    visible = list_projects(session, actor)
    slots = sorted(p.position for p in visible)
    ordered = apply_order(visible, ids, "project")  # validates ids; positions become 0..n-1
    if len(set(slots)) == len(slots):
        for project in ordered:
            project.position = slots[project.position]
    return ordered  # type: ignore[return-value]


def create_project(session: Session, actor: Actor, fields: dict[str, Any]) -> Project:
    """Register a repository; its first board comes from `templateId` (default Kanban Default)."""
    path = _validated_repository_path(fields["path"])
    if fields.get("organizationId"):
        _require_org_membership(session, actor, fields["organizationId"])
    repository = git_repo.open_repository(path)
    position = session.scalar(select(func.coalesce(func.max(Project.position) + 1, 0)))
    project = Project(
        name=fields["name"],
        description=fields.get("description") or "",
        path=str(path),
        base_branch=git_repo.current_branch(repository),
        organization_id=fields.get("organizationId"),
        owner_id=actor.user_id,
        position=position,
    )
    session.add(project)
    session.flush()
    boards.create_board(session, actor, project.id, DEFAULT_BOARD_NAME, fields.get("templateId"))
    return project


def get_project(session: Session, actor: Actor, project_id: str) -> Project:
    return require_project(session, actor, project_id)


def update_project(session: Session, actor: Actor, project_id: str, fields: dict[str, Any]) -> Project:
    project = require_project(session, actor, project_id, "editor")
    if "baseBranch" in fields:
        repository = git_repo.open_repository(project.path)
        if not git_repo.branch_exists(repository, fields["baseBranch"]):
            raise InvalidInput(f"baseBranch: no branch {fields['baseBranch']!r} in {project.path}")
    if fields.get("defaultCredentialId"):
        require_usable_credential(session, actor, fields["defaultCredentialId"])
    for api_name, attr in (
        ("name", "name"),
        ("description", "description"),
        ("baseBranch", "base_branch"),
        ("defaultCredentialId", "default_credential_id"),
        ("worktreeInclude", "worktree_include"),
        ("maxConcurrentSessions", "max_concurrent_sessions"),
    ):
        if api_name in fields:
            setattr(project, attr, fields[api_name])
    return project


def set_project_credential(
    session: Session, actor: Actor, project_id: str, credential_id: str | None
) -> Project:
    return update_project(session, actor, project_id, {"defaultCredentialId": credential_id})


def delete_project(session: Session, actor: Actor, project_id: str) -> None:
    require_project(session, actor, project_id, "owner")
    attachments.forget_project_files(session, project_id)
    session.execute(delete(Project).where(Project.id == project_id))


def project_files(session: Session, actor: Actor, project_id: str) -> list[str]:
    project = require_project(session, actor, project_id)
    try:
        return git_repo.tracked_files(git_repo.open_repository(project.path))
    except git_repo.NotARepository as exc:
        raise InvalidInput(f"project path is no longer usable: {exc}", code="invalid_repository") from None


def _validated_repository_path(raw: str) -> Path:
    try:
        path = Path(raw).expanduser()
    except (RuntimeError, ValueError):  # `~nosuchuser`, or a NUL byte in the name
        raise InvalidInput(f"path: {raw!r} is not a usable path on this machine") from None
    if not path.is_absolute():
        raise InvalidInput(f"path: {raw!r} must be an absolute path")
    try:
        git_repo.open_repository(path)
    except git_repo.NotARepository as exc:
        raise InvalidInput(f"path: {exc}", code="invalid_repository") from None
    return path.resolve()


def _require_org_membership(session: Session, actor: Actor, org_id: str) -> None:
    if session.get(Organization, org_id) is None:
        raise NotFound.of("organization", org_id)
    if actor.is_super_admin:
        return
    role = session.scalar(
        select(OrgMember.role).where(OrgMember.org_id == org_id, OrgMember.user_id == actor.user_id)
    )
    if role is None:
        raise NotFound.of("organization", org_id)
    if role != "admin":
        raise Forbidden(f"only admins of organization {org_id} may add projects to it")
