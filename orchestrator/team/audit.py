"""The workspace's security audit log (auth events, key use, agent spawns): append-only rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import TeamAuditLog, iso


def record(session: Session, project_id: str | None, action: str, actor: str, **detail: Any) -> None:
    session.add(TeamAuditLog(project_id=project_id, action=action, actor=actor, detail=detail))


def list_logs(session: Session, project_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.scalars(select(TeamAuditLog).where(TeamAuditLog.project_id == project_id)
                           .order_by(TeamAuditLog.created_at.desc(), TeamAuditLog.id.desc()).limit(limit))
    return [{"id": row.id, "workspace_id": row.project_id, "action": row.action, "actor": row.actor,
             "detail": row.detail, "created_at": iso(row.created_at)} for row in rows]
