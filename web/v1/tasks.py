"""Tasks and stories of seed 004: cards on the workspace's team board."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator.errors import InvalidInput
from orchestrator.team import review, stories, tasks
from web.context import db
from web.schemas.v1 import (
    IdPath,
    RejectBody,
    ReviewAction,
    ReviewReport,
    StoryBody,
    TaskBody,
    TaskQuery,
)
from web.v1.context import bare, team

bp = APIBlueprint("v1_tasks", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="Agent team: tasks")],
                  abp_security=[{"bearer": []}])


@bp.get("/tasks")
def list_tasks(query: TaskQuery):  # type: ignore[no-untyped-def]
    current = team()
    found = tasks.list_tasks(db(), current, query.status, query.sprint, query.owner)
    return bare(tasks.tasks_json(db(), current, found))


@bp.post("/tasks")
def create_task(body: TaskBody):  # type: ignore[no-untyped-def]
    if not body.title:
        raise InvalidInput("title: required")
    card = tasks.create_task(db(), team(), body.model_dump(exclude_none=True))
    return bare(tasks.task_json(db(), card), 201)


@bp.get("/tasks/<id>")
def get_task(path: IdPath):  # type: ignore[no-untyped-def]
    return bare(tasks.task_json(db(), tasks.get_task(db(), team(), path.id)))


@bp.patch("/tasks/<id>")
def update_task(path: IdPath, body: TaskBody):  # type: ignore[no-untyped-def]
    card = tasks.update_task(db(), team(), path.id, body.model_dump(exclude_unset=True))
    return bare(tasks.task_json(db(), card))


@bp.delete("/tasks/<id>")
def delete_task(path: IdPath):  # type: ignore[no-untyped-def]
    tasks.delete_task(db(), team(), path.id)
    return bare({"ok": True, "id": path.id})


@bp.post("/tasks/<id>/approve")
def approve_task(path: IdPath):  # type: ignore[no-untyped-def]
    return bare(review.approve(db(), team(), path.id))


@bp.post("/tasks/<id>/reject")
def reject_task(path: IdPath, body: RejectBody):  # type: ignore[no-untyped-def]
    card = review.reject(db(), team(), path.id, body.reason)
    return bare({"ok": True, "status": "in_progress", "task": tasks.task_json(db(), card)})


@bp.post("/tasks/<id>/review-action")
def review_action(path: IdPath, body: ReviewAction):  # type: ignore[no-untyped-def]
    return bare(review.review_action(db(), team(), path.id, body.model_dump(exclude_none=True)))


@bp.post("/tasks/<id>/review-report")
def review_report(path: IdPath, body: ReviewReport):  # type: ignore[no-untyped-def]
    return bare(review.review_report(db(), team(), path.id, body.model_dump(exclude_none=True)))


@bp.get("/stories")
def list_stories():  # type: ignore[no-untyped-def]
    return bare([stories.story_json(s) for s in stories.list_stories(db(), team())])


@bp.post("/stories")
def create_story(body: StoryBody):  # type: ignore[no-untyped-def]
    story, task = stories.create_story(db(), team(), body.model_dump(exclude_none=True))
    return bare({**stories.story_json(story), "tasks": [tasks.task_json(db(), task)]}, 201)


@bp.get("/stories/<id>")
def get_story(path: IdPath):  # type: ignore[no-untyped-def]
    current = team()
    story = stories.get_story(db(), current, path.id)
    found = stories.story_tasks(db(), current, story.id)
    return bare({**stories.story_json(story), "tasks": tasks.tasks_json(db(), current, found)})


@bp.patch("/stories/<id>")
def update_story(path: IdPath, body: StoryBody):  # type: ignore[no-untyped-def]
    return bare(stories.story_json(stories.update_story(db(), team(), path.id, body.model_dump(exclude_none=True))))


@bp.delete("/stories/<id>")
def delete_story(path: IdPath):  # type: ignore[no-untyped-def]
    stories.delete_story(db(), team(), path.id)
    return bare({"ok": True, "id": path.id})


@bp.get("/stories/<id>/tasks")
def story_tasks(path: IdPath):  # type: ignore[no-untyped-def]
    current = team()
    story = stories.get_story(db(), current, path.id)
    return bare(tasks.tasks_json(db(), current, stories.story_tasks(db(), current, story.id)))
