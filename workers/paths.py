"""Path safety: the one function every agent-supplied path goes through."""

from __future__ import annotations

import re
from pathlib import Path


class PathEscape(ValueError):
    """An agent asked for a path outside its worktree."""


def resolve_inside(root: Path, requested: str) -> Path:
    """`requested` resolved inside `root`, following symlinks; anything that leads out is refused.

    Absolute paths are refused outright rather than reinterpreted, so the model learns to use
    paths relative to its worktree.
    """
    if "\x00" in requested:
        raise PathEscape("path contains a NUL character")
    candidate = Path(requested)
    if candidate.is_absolute():
        raise PathEscape(f"{requested}: absolute paths are not allowed; use a path relative to the worktree")
    real_root = root.resolve()
    resolved = (real_root / candidate).resolve()
    if resolved != real_root and real_root not in resolved.parents:
        raise PathEscape(f"{requested}: leads outside the worktree")
    return resolved


def slugify(text: str, max_length: int = 40) -> str:
    """A branch- and folder-safe slug: lower case letters, digits and single dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "card"
