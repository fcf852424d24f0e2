"""Stories group related tasks (a task's `story_id`); creating one makes a builder task for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, TeamStory, iso
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.team import tasks
from orchestrator.team.workspaces import Team, require_editor


def list_stories(session: Session, team: Team) -> list[TeamStory]:
    return list(session.scalars(select(TeamStory).where(TeamStory.project_id == team.id)
                                .order_by(TeamStory.created_at, TeamStory.id)))


def get_story(session: Session, team: Team, story_id: str) -> TeamStory:
    story = session.get(TeamStory, story_id)
    if story is None or story.project_id != team.id:
        raise NotFound.of("story", story_id)
    return story


def create_story(session: Session, team: Team, fields: dict[str, Any]) -> tuple[TeamStory, Card]:
    require_editor(session, team)
    title = (fields.get("title") or "").strip()
    if not title:
        raise InvalidInput("title: required")
    priority = tasks.priority_name(fields.get("priority"))
    story = TeamStory(project_id=team.id, title=title, description=fields.get("description") or "",
                      sprint=fields.get("sprint"), priority=tasks.STORED_FOR_INDEX[priority])
    session.add(story)
    session.flush()
    task = tasks.create_task(session, team, {"title": title, "description": story.description, "owner": "builder",
                                              "priority": fields.get("priority"), "sprint": fields.get("sprint"),
                                              "story_id": story.id})
    return story, task


def update_story(session: Session, team: Team, story_id: str, fields: dict[str, Any]) -> TeamStory:
    require_editor(session, team)
    story = get_story(session, team, story_id)
    if fields.get("title") is not None:
        if not fields["title"].strip():
            raise InvalidInput("title: must not be empty")
        story.title = fields["title"]
    for name in ("description", "sprint", "status"):
        if fields.get(name) is not None:
            setattr(story, name, fields[name])
    if fields.get("priority") is not None:
        story.priority = tasks.STORED_FOR_INDEX[tasks.priority_name(fields["priority"])]
    return story


def delete_story(session: Session, team: Team, story_id: str) -> None:
    """The story goes; its tasks stay, no longer grouped."""
    require_editor(session, team)
    story = get_story(session, team, story_id)
    for card in story_tasks(session, team, story.id):
        tasks.set_extra(card, story_id=None)
    session.delete(story)


def story_tasks(session: Session, team: Team, story_id: str) -> list[Card]:
    return [card for card in tasks.list_tasks(session, team) if (card.extra or {}).get("story_id") == story_id]


def story_json(story: TeamStory) -> dict[str, Any]:
    return {"id": story.id, "workspace_id": story.project_id, "title": story.title,
            "description": story.description, "sprint": story.sprint, "priority": tasks.SHOWN_FOR[story.priority],
            "status": story.status, "created_at": iso(story.created_at), "updated_at": iso(story.updated_at)}
