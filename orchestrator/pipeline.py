"""The pipeline: where a card goes when its session completes. Pure rules, then their effect."""

from __future__ import annotations

from collections.abc import Sequence


def next_step(steps: Sequence[str], current_column_id: str) -> str | None:
    """The column after the current one in the card's steps; None at the end or off the path."""
    if current_column_id not in steps:
        return None
    index = list(steps).index(current_column_id)
    return steps[index + 1] if index + 1 < len(steps) else None
