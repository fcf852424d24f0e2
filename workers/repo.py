"""Reading a project's own git repository (never writing to it)."""

from __future__ import annotations

from pathlib import Path

import git


class NotARepository(ValueError):
    """The path is missing, not a directory, or not the top of a git work tree."""


def open_repository(path: str | Path) -> git.Repo:
    target = Path(path)
    if not target.is_absolute():
        raise NotARepository(f"{path} is not an absolute path")
    if not target.is_dir():
        raise NotARepository(f"{path} does not exist or is not a directory")
    try:
        repo = git.Repo(target)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotARepository(f"{path} is not a git repository (run `git init` there first)") from None
    if repo.bare:
        raise NotARepository(f"{path} is a bare repository; Switchyard needs a work tree")
    return repo


def current_branch(repo: git.Repo) -> str:
    """The checked-out branch's name, even in a repository with no commit yet."""
    try:
        return repo.head.reference.name
    except TypeError:  # detached HEAD
        return "main"


def branch_exists(repo: git.Repo, name: str) -> bool:
    return any(head.name == name for head in repo.heads) or current_branch(repo) == name


def tracked_files(repo: git.Repo) -> list[str]:
    output = repo.git.ls_files("-z")
    return [name for name in output.split("\0") if name]
