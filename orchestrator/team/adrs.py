"""Architecture decision records of a workspace: numbered in order per workspace; the accepted and
proposed ones form a prompt block, and the accepted ones reach every team agent's prompt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import TeamDecision, iso
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.team.workspaces import Team, require_writer, settings_row

STATUSES = ("proposed", "accepted", "deprecated", "superseded")
REQUIRED = ("title", "context", "decision", "rationale")
LAST_NUMBER_KEY = "adr_last_number"  # in the workspace's settings
TEXT_FIELDS = ("title", "context", "decision", "rationale", "consequences", "author")


def adr_json(row: TeamDecision) -> dict[str, Any]:
    return {
        "id": row.id, "workspace_id": row.project_id, "number": row.number, "title": row.title,
        "status": row.status, "context": row.context, "decision": row.decision, "rationale": row.rationale,
        "consequences": row.consequences, "author": row.author, "superseded_by": row.superseded_by,
        "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
    }


def list_adrs(session: Session, team: Team) -> list[TeamDecision]:
    return list(session.scalars(select(TeamDecision).where(TeamDecision.project_id == team.id)
                                .order_by(TeamDecision.number.desc())))


def get_adr(session: Session, team: Team, adr_id: str) -> TeamDecision:
    row = session.get(TeamDecision, adr_id)
    if row is None or row.project_id != team.id:
        raise NotFound.of("ADR", adr_id)
    return row


def create_adr(session: Session, team: Team, fields: dict[str, Any]) -> TeamDecision:
    """The next number of the workspace. Requests hold the write lock on SQLite; on PostgreSQL the
    unique (project, number) constraint refuses a concurrent duplicate rather than storing it."""
    require_writer(session, team)
    missing = [name for name in REQUIRED if not (fields.get(name) or "").strip()]
    if missing:
        raise InvalidInput(f"{', '.join(missing)}: required")
    status = _status(fields.get("status") or "proposed")
    row = TeamDecision(project_id=team.id, number=_next_number(session, team.id), status=status,
                       **{name: fields.get(name) for name in TEXT_FIELDS})
    if row.author is None:
        row.author = team.agent_name or team.actor.name
    session.add(row)
    session.flush()
    return row


def update_adr(session: Session, team: Team, adr_id: str, fields: dict[str, Any]) -> TeamDecision:
    require_writer(session, team)
    row = get_adr(session, team, adr_id)
    for name in REQUIRED:
        if name in fields and fields[name] is not None and not fields[name].strip():
            raise InvalidInput(f"{name}: must not be empty")
    if fields.get("status") is not None:
        row.status = _status(fields["status"])
    for name in TEXT_FIELDS:
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    if "superseded_by" in fields:
        target = fields["superseded_by"]
        if target is not None:
            get_adr(session, team, target)
        row.superseded_by = target
    return row


def delete_adr(session: Session, team: Team, adr_id: str) -> None:
    require_writer(session, team)
    session.delete(get_adr(session, team, adr_id))


def prompt_text(session: Session, project_id: str, statuses: tuple[str, ...] = ("accepted", "proposed")) -> str:
    """A concise reference block, oldest decision first; empty when there is none."""
    rows = session.scalars(select(TeamDecision).where(TeamDecision.project_id == project_id,
                                                      TeamDecision.status.in_(statuses))
                           .order_by(TeamDecision.number)).all()
    if not rows:
        return ""
    lines = [f"- ADR-{row.number:03d} [{row.status}] {row.title}: {row.decision}" for row in rows]
    return "\n### Architecture Decisions (ADR)\n" + "\n".join(lines) + "\n"


def _next_number(session: Session, project_id: str) -> int:
    """One more than any number ever given in the workspace: a deleted ADR's number is not reused,
    so "ADR-003" in old notes never comes to mean another decision."""
    last = session.scalar(select(func.max(TeamDecision.number)).where(TeamDecision.project_id == project_id)) or 0
    row = settings_row(session, project_id)
    number = max(last, int((row.settings or {}).get(LAST_NUMBER_KEY, 0))) + 1
    row.settings = {**(row.settings or {}), LAST_NUMBER_KEY: number}
    return number


def _status(value: str) -> str:
    if value not in STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(STATUSES)}")
    return value
