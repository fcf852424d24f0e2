"""Agent progress reports and stall detection.

A progress report is also a heartbeat: with `PUT /api/v1/agents` it is what tells Switchyard an
external (`local`) agent is alive. Agents Switchyard runs itself (`byok`) are judged by their
sessions' leases and heartbeats, the same ones the scheduler reclaims sessions by.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import AgentSession, Card, TeamAgent, TeamProgress, iso, utcnow
from orchestrator.errors import InvalidInput
from orchestrator.team import agents
from orchestrator.team.setup import plan_limits
from orchestrator.team.workspaces import Team, require_writer

PER_AGENT = 20
KEPT_FOR = timedelta(hours=24)
FIELDS = ("task_name", "step", "file", "detail")
LIVE_SESSION = ("starting", "running")


def progress_json(row: TeamProgress) -> dict[str, Any]:
    return {"id": row.id, "agent_name": row.agent_name, **{name: getattr(row, name) for name in FIELDS},
            "created_at": iso(row.created_at)}


def report(session: Session, team: Team, fields: dict[str, Any]) -> TeamProgress:
    require_writer(session, team)
    name = (fields.get("agent_name") or team.agent_name or "").strip()
    if not name:
        raise InvalidInput("agent_name: required")
    agent = agents.ensure_agent(session, team.id, name)
    agent.last_seen_at = utcnow()
    row = TeamProgress(project_id=team.id, agent_name=name, **{f: fields.get(f) for f in FIELDS})
    session.add(row)
    session.flush()
    return row


def agent_progress(session: Session, team: Team, name: str) -> list[TeamProgress]:
    return list(session.scalars(select(TeamProgress).where(
        TeamProgress.project_id == team.id, TeamProgress.agent_name == name)
        .order_by(TeamProgress.created_at.desc(), TeamProgress.id.desc()).limit(PER_AGENT)))


def latest_per_agent(session: Session, team: Team) -> list[TeamProgress]:
    rows = session.scalars(select(TeamProgress).where(TeamProgress.project_id == team.id)
                           .order_by(TeamProgress.created_at.desc(), TeamProgress.id.desc())).all()
    latest: dict[str, TeamProgress] = {}
    for row in rows:
        latest.setdefault(row.agent_name, row)
    return sorted(latest.values(), key=lambda row: row.agent_name)


def purge(session: Session, team: Team) -> int:
    require_writer(session, team)
    result = session.execute(delete(TeamProgress).where(TeamProgress.project_id == team.id,
                                                        TeamProgress.created_at < utcnow() - KEPT_FOR))
    return int(getattr(result, "rowcount", 0) or 0)


# Stalls -----------------------------------------------------------------------------------------


def check_stalls(session: Session, team: Team) -> dict[str, Any]:
    """Agents at work with no sign of life within the workspace's stall timeout become `stalled`."""
    require_writer(session, team)
    timeout = timedelta(minutes=plan_limits(session, team.project)["stall_timeout_minutes"])
    now = utcnow()
    stalled = []
    for agent in agents.list_agents(session, team, True):
        working, last_seen, lease_lost = _signs_of_life(session, agent, now)
        if working and (lease_lost or last_seen is None or last_seen < now - timeout):
            agent.status = "stalled"
            stalled.append({"name": agent.name, "last_seen": iso(last_seen)})
    return {"stalled": stalled, "count": len(stalled)}


def _signs_of_life(session: Session, agent: TeamAgent, now: datetime) -> tuple[bool, datetime | None, bool]:
    """(at work, last sign of life, a session's lease expired). An external agent is at work by
    its reported status; one Switchyard runs, while one of its tasks has a live session."""
    if agent.execution_mode != "byok":
        return agent.status in agents.ACTIVE_STATUSES, agent.last_seen_at, False
    live = session.scalars(select(AgentSession).join(Card, Card.id == AgentSession.card_id).where(
        Card.project_id == agent.project_id, Card.assigned_agent_id == agent.name,
        AgentSession.status.in_(LIVE_SESSION))).all()
    beats = [row.heartbeat_at or row.started_at for row in live if row.heartbeat_at or row.started_at]
    lease_lost = any(row.lease_expires_at is not None and row.lease_expires_at < now for row in live)
    return bool(live), max(beats) if beats else None, lease_lost
