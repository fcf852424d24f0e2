"""The pipeline: where a card goes when its session completes. Pure rules, then their effect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, Column, publish
from orchestrator import history
from orchestrator.access import Actor
from orchestrator.cards import get_card
from orchestrator.errors import InvalidInput


def next_step(steps: Sequence[str], current_column_id: str) -> str | None:
    """The column after the current one in the card's steps; None at the end or off the path."""
    if current_column_id not in steps:
        return None
    index = list(steps).index(current_column_id)
    return steps[index + 1] if index + 1 < len(steps) else None


# Pipeline --------------------------------------------------------------------------------------


def pipeline_steps(session: Session, card: Card) -> list[dict[str, Any]]:
    """The card's own steps, else its board's columns in order, each with its effective prompt."""
    columns = {c.id: c for c in session.scalars(select(Column).where(Column.project_id == card.project_id))}
    if card.pipeline:
        raw = [s for s in card.pipeline if s["columnId"] in columns]
    else:
        board_columns = sorted((c for c in columns.values() if c.board_id == card.board_id),
                               key=lambda c: c.position)
        raw = [{"columnId": c.id} for c in board_columns]
    return [
        {
            "columnId": step["columnId"],
            "columnName": columns[step["columnId"]].name,
            "prompt": step.get("prompt") if step.get("prompt") is not None else columns[step["columnId"]].prompt,
        }
        for step in raw
    ]


def set_pipeline(
    session: Session, actor: Actor, project_id: str, card_id: str, steps: list[dict[str, Any]]
) -> Card:
    """Replace the card's steps; an empty list returns it to the board's column order."""
    card = get_card(session, actor, project_id, card_id, "editor")
    board_columns = set(session.scalars(select(Column.id).where(Column.board_id == card.board_id)))
    for index, step in enumerate(steps):
        if step["columnId"] not in board_columns:
            raise InvalidInput(f"steps.{index}.columnId: {step['columnId']} is not a column of the card's board")
    new = [{k: v for k, v in step.items() if v is not None} for step in steps] or None
    history.record(session, card, actor, "updated", {"pipeline": {"before": card.pipeline, "after": new}})
    card.pipeline = new
    publish(session, "card.updated", project_id, {"cardId": card.id, "changed": ["pipeline"]}, card.id)
    return card
