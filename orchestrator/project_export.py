"""A project as one JSON document: boards, columns, transitions, cards, comments and todos.

It is what a person downloads to keep or read elsewhere, so it carries no secrets and no
references that mean nothing outside this installation (credential ids, worktree paths, agent
session internals).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    PRIORITY_NAMES,
    Board,
    Card,
    Column,
    ColumnTransition,
    Comment,
    Project,
    Todo,
    iso,
    utcnow,
)
from orchestrator.access import Actor, require_project

FORMAT = "switchyard.project"
VERSION = 1


def export_project(session: Session, actor: Actor, project_id: str) -> dict[str, Any]:
    project = require_project(session, actor, project_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": iso(utcnow()),
        "project": _project(project),
        "boards": _boards(session, project.id),
        "cards": _cards(session, project.id),
    }


def _project(project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name, "description": project.description, "path": project.path,
            "baseBranch": project.base_branch, "worktreeInclude": project.worktree_include,
            "maxConcurrentSessions": project.max_concurrent_sessions, "createdAt": iso(project.created_at)}


def _boards(session: Session, project_id: str) -> list[dict[str, Any]]:
    columns: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for column in session.scalars(select(Column).where(Column.project_id == project_id).order_by(Column.position)):
        columns[column.board_id].append(_column(column))
    transitions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    board_ids = select(Board.id).where(Board.project_id == project_id)
    for rule in session.scalars(select(ColumnTransition).where(ColumnTransition.board_id.in_(board_ids))):
        transitions[rule.board_id].append({"fromColumnId": rule.from_column_id, "toColumnId": rule.to_column_id,
                                           "requiresApproval": rule.requires_approval})
    boards = session.scalars(select(Board).where(Board.project_id == project_id).order_by(Board.position))
    return [{"id": b.id, "name": b.name, "position": b.position, "columns": columns[b.id],
             "transitions": transitions[b.id]} for b in boards]


def _column(column: Column) -> dict[str, Any]:
    return {"id": column.id, "name": column.name, "columnType": column.column_type, "position": column.position,
            "prompt": column.prompt, "engine": column.engine, "model": column.model, "planMode": column.plan_mode,
            "wipLimit": column.wip_limit, "budgetUsd": column.budget_usd, "timeoutSeconds": column.timeout_seconds,
            "requiredFields": column.required_fields}


def _cards(session: Session, project_id: str) -> list[dict[str, Any]]:
    card_ids = select(Card.id).where(Card.project_id == project_id)
    comments: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in session.scalars(select(Comment).where(Comment.card_id.in_(card_ids)).order_by(Comment.created_at)):
        comments[c.card_id].append({"id": c.id, "body": c.body, "authorType": c.author_type,
                                    "authorName": c.author_name, "createdAt": iso(c.created_at)})
    todos: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in session.scalars(select(Todo).where(Todo.card_id.in_(card_ids)).order_by(Todo.iteration, Todo.position)):
        todos[t.card_id].append({"id": t.id, "text": t.text, "done": t.done, "position": t.position,
                                 "completedAt": iso(t.completed_at)})
    cards = session.scalars(select(Card).where(Card.project_id == project_id)
                            .order_by(Card.board_id, Card.column_id, Card.position))
    return [{**_card(card), "comments": comments[card.id], "todos": todos[card.id]} for card in cards]


def _card(card: Card) -> dict[str, Any]:
    return {"id": card.id, "shortId": card.short_id, "boardId": card.board_id, "columnId": card.column_id,
            "title": card.title, "prompt": card.prompt, "labels": card.labels, "position": card.position,
            "priority": PRIORITY_NAMES[card.priority], "dueDate": iso(card.due_date), "autoMode": card.auto_mode,
            "archived": card.archived, "deferred": card.deferred, "pipeline": card.pipeline,
            "budgetUsd": card.budget_usd, "fieldValues": card.field_values, "branch": card.branch,
            "completedAt": iso(card.completed_at), "createdAt": iso(card.created_at),
            "updatedAt": iso(card.updated_at)}


def export_filename(project: dict[str, Any]) -> str:
    """`<name>-export-<date>.json`, with the name reduced to safe characters."""
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "-" for ch in project["name"]).strip("-") or "project"
    return f"{safe[:60]}-export-{utcnow():%Y-%m-%d}.json"
