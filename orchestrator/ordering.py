"""Reordering a collection from a client's list of ids: the one rule for every reorder route."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from orchestrator.errors import InvalidInput


class Positioned(Protocol):
    id: str
    position: int


def apply_order(items: Sequence[Positioned], ids: Sequence[str], what: str) -> list[Positioned]:
    """Give `items` positions 0..n-1 in the order of `ids`, which must name each item once."""
    by_id = {item.id: item for item in items}
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"ids: each {what} may appear only once")
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InvalidInput(f"ids: unknown {what} {', '.join(unknown[:5])}")
    missing = [i for i in by_id if i not in set(ids)]
    if missing:
        raise InvalidInput(f"ids: must list every {what}; missing {', '.join(missing[:5])}")
    for position, item_id in enumerate(ids):
        by_id[item_id].position = position
    return [by_id[i] for i in ids]
