"""A card's git state seen from the board: releasing its worktree and branch when the card is
deleted or cleaned up, and a person's merge of its branch into the base branch.

The rules (what may be removed, when a branch goes) live here; the git commands in
`workers.worktree` and `workers.merge`. These run inside the request: removing a worktree and a
local merge are quick and touch no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
from sqlalchemy.orm import Session

from models import Card, Project, publish
from orchestrator import history
from orchestrator.access import Actor, require_in_project
from orchestrator.agent_sessions import active_session
from orchestrator.errors import Conflict, InvalidInput
from orchestrator.housekeeping import mark_disk_stale
from workers import merge, worktree


def release_card_git(session: Session, card: Card, force: bool) -> dict[str, Any]:
    """Remove the card's worktree and its branch if merged (or any branch with `force`).

    Refuses (409 worktree_dirty) a worktree with uncommitted work unless forced. Returns the
    history entries saying what happened to each.
    """
    project = session.get(Project, card.project_id)
    if project is None or not (card.worktree_path or card.branch):
        return {}
    path = Path(card.worktree_path) if card.worktree_path else None
    try:
        if path is not None and worktree.is_dirty(path) and not force:
            raise Conflict(f"the worktree of card {card.id} at {path} has uncommitted changes; commit them, "
                           "or pass force=true to delete them with the card", code="worktree_dirty")
        changes = _remove_worktree(project, path, force)
        if changes:
            mark_disk_stale(session, project.id)
        changes.update(_release_branch(project, card.branch, force))
    except worktree.GIT_ERRORS as exc:
        if not force:
            raise Conflict(f"git could not clean up card {card.id}: {_message(exc)}; pass force=true to delete "
                           "the card anyway", code="git_error") from None
        changes = {"git": {"before": None, "after": f"clean-up failed: {_message(exc)}"}}
    return changes


def _remove_worktree(project: Project, path: Path | None, force: bool) -> dict[str, Any]:
    if path is None:
        return {}
    existed = path.exists()
    worktree.remove_worktree(project.path, path, force=force)
    return {"worktree": {"before": str(path), "after": "removed" if existed else "already gone"}}


def _release_branch(project: Project, branch: str | None, force: bool) -> dict[str, Any]:
    """A merged branch goes; an unmerged one stays (its work exists nowhere else) unless forced."""
    if not branch:
        return {}
    base = project.base_branch
    merged = worktree.is_merged(project.path, branch, base)
    if not merged and not force:
        return {"branch": {"before": branch, "after": f"kept: not merged into {base}"}}
    if not worktree.delete_branch(project.path, branch, force=True):  # merged-ness was checked above
        return {"branch": {"before": branch, "after": "already gone"}}
    why = f"merged into {base}" if merged else f"not merged into {base}; force=true"
    return {"branch": {"before": branch, "after": f"deleted ({why})"}}


def merge_card(session: Session, actor: Actor, project_id: str, card_id: str, strategy: str) -> dict[str, Any]:
    """A person's merge of the card's branch into the base branch, in the project's checkout."""
    card = require_in_project(session, actor, Card, "card", project_id, card_id, "editor")
    if strategy not in merge.STRATEGIES:
        raise InvalidInput(f"strategy: must be one of {', '.join(merge.STRATEGIES)}")
    if not card.branch:
        raise Conflict(f"card {card.id} has no branch yet: no agent has worked on it", code="no_branch")
    running = active_session(session, card.id)
    if strategy == "rebase" and running is not None:
        raise Conflict(f"session {running.id} is {running.status} in the card's worktree; a rebase would "
                       "change it under the agent", code="agent_running")
    project = session.get(Project, project_id)
    assert project is not None
    worktree_path = Path(card.worktree_path) if card.worktree_path else None
    try:
        commit = merge.merge_branch(project.path, card.branch, project.base_branch, strategy,
                                    _commit_message(card, strategy), worktree_path)
    except merge.MergeError as exc:
        raise Conflict(exc.message, code=exc.code) from None
    except worktree.GIT_ERRORS as exc:
        raise Conflict(f"git could not merge {card.branch}: {_message(exc)}", code="merge_failed") from None
    history.record(session, card, actor, "merged", {"merge": {"before": None, "after": {
        "branch": card.branch, "baseBranch": project.base_branch, "strategy": strategy, "commit": commit}}})
    publish(session, "card.updated", project_id, {"cardId": card.id, "changed": ["merged"]}, card.id)
    return {"merged": True, "strategy": strategy, "commit": commit}


def _commit_message(card: Card, strategy: str) -> str:
    if strategy == "squash":
        return f"{card.title}\n\nSquashed from {card.branch} (card {card.short_id})."
    return f"Merge {card.branch}: {card.title}"


def _message(exc: Exception) -> str:
    return worktree.git_message(exc) if isinstance(exc, git.GitCommandError) else str(exc)
