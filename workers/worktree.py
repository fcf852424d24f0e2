"""Git worktrees: one per card, on its own branch, kept across the columns the card passes.

Sessions only ever touch their worktree; the project's own checkout is read, never written
(except by a person's merge, which lives in `merge_branch`).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import git

COMMITTER = {
    "GIT_AUTHOR_NAME": "Switchyard",
    "GIT_AUTHOR_EMAIL": "switchyard@localhost",
    "GIT_COMMITTER_NAME": "Switchyard",
    "GIT_COMMITTER_EMAIL": "switchyard@localhost",
}


class WorktreeError(RuntimeError):
    """A git operation on a worktree failed; the message is git's own explanation."""


# What git work on a card can raise: callers that must not fail on it (clean-up) catch these.
GIT_ERRORS = (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError, WorktreeError)


@dataclass(frozen=True)
class Worktree:
    path: Path
    branch: str
    base_commit: str


def ensure_worktree(
    repo_path: str, path: Path, branch: str, base_branch: str, include: list[str] | None = None
) -> Worktree:
    """Reuse the card's worktree, or add it on a new branch from the base branch."""
    repo = git.Repo(repo_path)
    if not (path / ".git").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if any(head.name == branch for head in repo.heads):
                repo.git.worktree("add", str(path), branch)
            else:
                repo.git.worktree("add", "-b", branch, str(path), base_branch)
        except git.GitCommandError as exc:
            raise WorktreeError(git_message(exc)) from None
        copy_included_files(Path(repo_path), path, include or [])
    return Worktree(path=path, branch=branch, base_commit=fork_point(path, base_branch))


def copy_included_files(source: Path, target: Path, patterns: list[str]) -> list[str]:
    """Copy ignored files the project asks for (like `.env`); nothing ignored is copied otherwise."""
    if not patterns:
        return []
    repo = git.Repo(source)
    ignored = repo.git.ls_files("--others", "--ignored", "--exclude-standard", "-z").split("\0")
    copied = []
    for name in filter(None, ignored):
        if any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
            copied.append(name)
    return copied


def fork_point(path: Path, base_branch: str) -> str:
    repo = git.Repo(path)
    try:
        return repo.git.merge_base("HEAD", base_branch)
    except git.GitCommandError:
        return repo.head.commit.hexsha


def head_commit(path: Path) -> str:
    return git.Repo(path).head.commit.hexsha


def is_dirty(path: Path) -> bool:
    """Uncommitted changes, staged or not, or untracked files."""
    if not path.exists():
        return False
    return bool(git.Repo(path).git.status("--porcelain"))


def commit_all(path: Path, message: str) -> str | None:
    """Commit everything the agent changed; the new head, or None when there was nothing."""
    repo = git.Repo(path)
    repo.git.add("-A")
    if not repo.git.status("--porcelain"):
        return None
    with repo.git.custom_environment(**COMMITTER):
        repo.git.commit("-q", "--no-verify", "-m", message)
    return repo.head.commit.hexsha


def diff(path: Path, base_branch: str) -> dict[str, object]:
    """Committed, staged, unstaged and untracked changes against the fork point, with stats."""
    repo = git.Repo(path)
    base = fork_point(path, base_branch)
    text = repo.git.diff(base, "--no-color", "--no-ext-diff")
    numstat = repo.git.diff(base, "--numstat")
    files, insertions, deletions = _numstat(numstat)
    untracked = [n for n in repo.git.ls_files("--others", "--exclude-standard", "-z").split("\0") if n]
    for name in untracked:
        patch = _untracked_patch(repo, name)
        text = f"{text}\n{patch}" if text else patch
        added = _line_count(path / name)
        files.append({"path": name, "insertions": added, "deletions": 0, "status": "untracked"})
        insertions += added
    return {
        "diff": text,
        "baseCommit": base,
        "stats": {"filesChanged": len(files), "insertions": insertions, "deletions": deletions},
        "files": files,
    }


def remove_worktree(repo_path: str, path: Path, force: bool = False) -> None:
    repo = git.Repo(repo_path)
    if not path.exists():  # removed by hand: forget it, or git keeps its branch checked out
        repo.git.worktree("prune")
        return
    args = ["remove", *(["--force"] if force else []), str(path)]
    try:
        repo.git.worktree(*args)
    except git.GitCommandError as exc:
        raise WorktreeError(git_message(exc)) from None


def is_merged(repo_path: str, branch: str, base_branch: str) -> bool:
    repo = git.Repo(repo_path)
    if not any(head.name == branch for head in repo.heads):
        return True
    try:
        repo.git.merge_base("--is-ancestor", branch, base_branch)
        return True
    except git.GitCommandError:
        return False


def delete_branch(repo_path: str, branch: str, force: bool = False) -> bool:
    repo = git.Repo(repo_path)
    if not any(head.name == branch for head in repo.heads):
        return False
    repo.git.branch("-D" if force else "-d", branch)
    return True


def disk_usage(path: Path) -> int:
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _numstat(output: str) -> tuple[list[dict[str, object]], int, int]:
    files: list[dict[str, object]] = []
    insertions = deletions = 0
    for line in output.splitlines():
        added, removed, name = line.split("\t", 2)
        plus = int(added) if added.isdigit() else 0  # "-" for binary files
        minus = int(removed) if removed.isdigit() else 0
        files.append({"path": name, "insertions": plus, "deletions": minus, "status": "changed"})
        insertions += plus
        deletions += minus
    return files, insertions, deletions


def _untracked_patch(repo: git.Repo, name: str) -> str:
    # `git diff --no-index` exits 1 when the files differ, which is the point here.
    return repo.git.diff("--no-index", "--no-color", "--", os.devnull, name, with_exceptions=False)


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def git_message(exc: git.GitCommandError) -> str:
    stderr = exc.stderr if isinstance(exc.stderr, str) else ""
    return stderr.strip().removeprefix("stderr: ").strip("'\n ") or str(exc)
