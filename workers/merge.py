"""Merging a card's branch into the base branch: the one git operation that writes to the
project's own checkout.

It runs only at a person's request, only when that checkout is on the base branch with no
uncommitted changes to tracked files and no merge or rebase of its own in progress, and a merge
that fails is undone (`merge --abort`, `reset --merge`, `rebase --abort`), so the checkout is left
exactly as it was. Hooks are skipped (`--no-verify`): a failing hook would otherwise leave a
half-made merge behind.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import git

from workers.worktree import COMMITTER, git_message

STRATEGIES = ("merge", "squash", "rebase")
IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase",
}
SHOWN_FILES = 10


class MergeError(RuntimeError):
    """A merge that could not be made; `code` says why, the message says what to do."""

    code = "merge_failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoBranch(MergeError):
    code = "no_branch"


class CheckoutDirty(MergeError):
    code = "checkout_dirty"


class MergeConflict(MergeError):
    code = "merge_conflict"


def merge_branch(repo_path: str, branch: str, base_branch: str, strategy: str, message: str,
                 worktree_path: Path | None = None) -> str:
    """Merge `branch` into `base_branch` in the checkout at `repo_path`; the new base commit.

    `rebase` replays the branch onto the base in the card's worktree (or a temporary one), then
    fast-forwards the base to it.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    repo = git.Repo(repo_path)
    if not any(head.name == branch for head in repo.heads):
        raise NoBranch(f"branch {branch} does not exist in {repo_path}")
    check_checkout(repo, base_branch)
    env = _identity(repo)
    if strategy == "merge":
        _merge(repo, branch, message, env)
    elif strategy == "squash":
        _squash(repo, branch, message, env)
    else:
        _rebase(repo, branch, base_branch, worktree_path, env)
        _git(repo, env, "merge", "--ff-only", branch)
    return repo.head.commit.hexsha


def check_checkout(repo: git.Repo, base_branch: str) -> None:
    """The checkout must be on the base branch, with nothing of its own uncommitted or underway."""
    where = repo.working_tree_dir
    current = None if repo.head.is_detached else repo.head.reference.name
    if current != base_branch:
        raise CheckoutDirty(f"the project's checkout at {where} is on {current or 'a detached HEAD'}, "
                            f"not the base branch {base_branch}; check out {base_branch} there first")
    git_dir = Path(repo.git_dir)
    for marker, what in IN_PROGRESS.items():
        if (git_dir / marker).exists():
            raise CheckoutDirty(f"the project's checkout at {where} has {what} in progress; finish or abort it first")
    changed = [line[3:] for line in repo.git.status("--porcelain", "--untracked-files=no").splitlines()]
    if changed:
        raise CheckoutDirty(f"the project's checkout at {where} has uncommitted changes "
                            f"({_list(changed)}); commit or stash them first")


def _merge(repo: git.Repo, branch: str, message: str, env: dict[str, str]) -> None:
    try:
        _git(repo, env, "merge", "--no-ff", "--no-verify", "--no-edit", "-m", message, branch)
    except git.GitCommandError as exc:
        conflicted = _conflicted(repo)
        if (Path(repo.git_dir) / "MERGE_HEAD").exists():
            repo.git.merge("--abort")
        raise _failure(exc, conflicted, branch) from None


def _squash(repo: git.Repo, branch: str, message: str, env: dict[str, str]) -> None:
    try:
        _git(repo, env, "merge", "--squash", branch)
    except git.GitCommandError as exc:
        conflicted = _conflicted(repo)
        if conflicted or _index_changed(repo):  # the checkout was clean: these changes are ours
            repo.git.reset("--merge")
        raise _failure(exc, conflicted, branch) from None
    if _index_changed(repo):
        _git(repo, env, "commit", "-q", "--no-verify", "-m", message)


def _rebase(repo: git.Repo, branch: str, base_branch: str, worktree_path: Path | None,
            env: dict[str, str]) -> None:
    """Rebase where the branch is checked out: the card's worktree, or a temporary worktree."""
    repo.git.worktree("prune")
    if worktree_path is not None and (worktree_path / ".git").exists():
        _rebase_in(git.Repo(worktree_path), branch, base_branch, env)
        return
    with tempfile.TemporaryDirectory(prefix="switchyard-rebase-") as tmp:
        path = Path(tmp) / "tree"
        repo.git.worktree("add", "-q", str(path), branch)
        try:
            _rebase_in(git.Repo(path), branch, base_branch, env)
        finally:
            repo.git.worktree("remove", "--force", str(path))


def _rebase_in(tree: git.Repo, branch: str, base_branch: str, env: dict[str, str]) -> None:
    changed = tree.git.status("--porcelain")
    if changed:
        raise CheckoutDirty(f"the card's worktree at {tree.working_tree_dir} has uncommitted changes "
                            f"({_list([line[3:] for line in changed.splitlines()])}); they would be lost by a rebase")
    try:
        _git(tree, env, "rebase", base_branch)
    except git.GitCommandError as exc:
        conflicted = _conflicted(tree)
        if any((Path(tree.git_dir) / marker).exists() for marker in ("rebase-merge", "rebase-apply")):
            tree.git.rebase("--abort")
        raise _failure(exc, conflicted, branch) from None


def _failure(exc: git.GitCommandError, conflicted: list[str], branch: str) -> MergeError:
    if conflicted:
        return MergeConflict(f"{branch} conflicts with the base branch in {_list(conflicted)}; "
                             "the merge was aborted and the checkout left as it was")
    detail = git_message(exc)
    if "would be overwritten" in detail:
        return CheckoutDirty(f"the merge would overwrite files in the project's checkout: {detail}")
    return MergeError(f"git could not merge {branch}: {detail}")


def _conflicted(repo: git.Repo) -> list[str]:
    return [name for name in repo.git.diff("--name-only", "--diff-filter=U").splitlines() if name]


def _index_changed(repo: git.Repo) -> bool:
    return bool(repo.git.diff("--cached", "--name-only"))


def _identity(repo: git.Repo) -> dict[str, str]:
    """The repository's own git identity when it has one (the person merging), else Switchyard's."""
    reader = repo.config_reader()
    if reader.has_option("user", "name") and reader.has_option("user", "email"):
        return {}
    return COMMITTER


def _git(repo: git.Repo, env: dict[str, str], *args: str) -> str:
    with repo.git.custom_environment(**env):
        return repo.git.execute(["git", *args])  # type: ignore[call-overload, no-any-return]


def _list(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_FILES])
    return shown if len(names) <= SHOWN_FILES else f"{shown} and {len(names) - SHOWN_FILES} more"

