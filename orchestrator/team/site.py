"""Site-wide: the public status (maintenance, banner), its settings and statistics for the site
owner (the first user, or a super admin; with auth off the machine's developer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Board, Card, Event, Project, TeamAgent, User, utcnow
from orchestrator.access import Actor
from orchestrator.errors import Forbidden, InvalidInput
from orchestrator.runtime_settings import get_setting, put_setting

SETTINGS_KEY = "team.site"
DEFAULTS = {"maintenance_enabled": "false", "maintenance_message": "The system is currently under maintenance.",
            "banner_enabled": "false", "banner_message": "", "banner_scheduled_at": ""}


def site_settings(session: Session) -> dict[str, str]:
    return {**DEFAULTS, **(get_setting(session, SETTINGS_KEY) or {})}


def site_status(session: Session) -> dict[str, Any]:
    values = site_settings(session)
    return {"maintenance": values["maintenance_enabled"] == "true", "maintenance_message": values["maintenance_message"],
            "banner": values["banner_enabled"] == "true", "banner_message": values["banner_message"],
            "banner_scheduled_at": values["banner_scheduled_at"]}


def update_settings(session: Session, actor: Actor, fields: dict[str, Any]) -> dict[str, str]:
    require_site_owner(session, actor)
    values = site_settings(session)
    for name, value in fields.items():
        if name not in DEFAULTS or value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if name.endswith("_enabled") and text not in ("true", "false"):
            raise InvalidInput(f"{name}: must be true or false")
        values[name] = text
    put_setting(session, SETTINGS_KEY, values)
    return values


def stats(session: Session, actor: Actor) -> dict[str, int]:
    require_site_owner(session, actor)
    week_ago = utcnow() - timedelta(days=7)
    active = session.scalar(select(func.count(func.distinct(Event.project_id))).where(
        Event.created_at >= week_ago, Event.project_id.is_not(None)))
    tasks = session.scalar(select(func.count()).select_from(Card).join(Board, Board.id == Card.board_id)
                           .where(Board.purpose == "team", Card.archived.is_(False)))
    return {"workspaces": session.scalar(select(func.count()).select_from(Project)) or 0,
            "active_workspaces_7d": active or 0, "total_tasks": tasks or 0,
            "total_agents": session.scalar(select(func.count()).select_from(TeamAgent)) or 0}


def all_workspaces(session: Session, actor: Actor) -> list[Project]:
    require_site_owner(session, actor)
    return list(session.scalars(select(Project).order_by(Project.created_at)))


def require_site_owner(session: Session, actor: Actor) -> None:
    if actor.is_super_admin and actor.kind == "user":
        return
    first = session.scalar(select(User.id).order_by(User.created_at, User.id).limit(1))
    if actor.kind != "user" or actor.user_id is None or actor.user_id != first:
        raise Forbidden("site administration is for the site owner (the first user)")
