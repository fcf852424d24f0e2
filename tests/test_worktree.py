"""Card worktrees: created from the base branch, reused, committed, diffed, removed safely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git
from workers import worktree as wt
from workers.paths import PathEscape, resolve_inside, slugify


@pytest.fixture
def repo_with_env(make_repo: Callable[..., Path]) -> Path:
    repo = make_repo(files={"app.py": "print('hi')\n", ".gitignore": ".env\n"})
    (repo / ".env").write_text("SECRET=1\n")
    return repo


def test_worktree_is_a_new_branch_from_the_base_and_leaves_the_checkout_alone(repo_with_env: Path, tmp_path: Path) -> None:
    tree = wt.ensure_worktree(str(repo_with_env), tmp_path / "wt" / "card", "switchyard/ab12-fix", "main")
    assert (tree.path / "app.py").read_text() == "print('hi')\n"
    assert git(tree.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "switchyard/ab12-fix"
    assert tree.base_commit == git(repo_with_env, "rev-parse", "main").strip()
    assert git(repo_with_env, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo_with_env, "status", "--porcelain").strip() == ""


def test_ignored_files_are_copied_only_when_listed(repo_with_env: Path, tmp_path: Path) -> None:
    plain = wt.ensure_worktree(str(repo_with_env), tmp_path / "a", "switchyard/a", "main")
    listed = wt.ensure_worktree(str(repo_with_env), tmp_path / "b", "switchyard/b", "main", include=[".env"])
    assert not (plain.path / ".env").exists()
    assert (listed.path / ".env").read_text() == "SECRET=1\n"


def test_worktree_is_reused_with_its_work(repo_with_env: Path, tmp_path: Path) -> None:
    first = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/c", "main")
    (first.path / "notes.txt").write_text("kept\n")
    again = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/c", "main")
    assert again.path == first.path and (again.path / "notes.txt").exists()


def test_diff_shows_committed_staged_unstaged_and_untracked_changes(repo_with_env: Path, tmp_path: Path) -> None:
    tree = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/d", "main")
    (tree.path / "committed.txt").write_text("one\n")
    wt.commit_all(tree.path, "Implement: one")
    (tree.path / "staged.txt").write_text("two\nlines\n")
    git(tree.path, "add", "staged.txt")
    (tree.path / "app.py").write_text("print('bye')\n")
    (tree.path / "untracked.txt").write_text("u\n")
    result = wt.diff(tree.path, "main")
    paths = {f["path"]: f for f in result["files"]}
    assert set(paths) == {"committed.txt", "staged.txt", "app.py", "untracked.txt"}
    assert paths["untracked.txt"]["status"] == "untracked"
    assert result["stats"] == {"filesChanged": 4, "insertions": 5, "deletions": 1}
    for name in paths:
        assert f"b/{name}" in result["diff"]


def test_commit_all_commits_everything_and_reports_nothing_when_clean(repo_with_env: Path, tmp_path: Path) -> None:
    tree = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/e", "main")
    assert wt.commit_all(tree.path, "nothing") is None
    (tree.path / "new.txt").write_text("x\n")
    assert wt.is_dirty(tree.path)
    head = wt.commit_all(tree.path, "Plan: add new")
    assert head == wt.head_commit(tree.path) and not wt.is_dirty(tree.path)
    assert git(tree.path, "log", "-1", "--format=%an %s").strip() == "Switchyard Plan: add new"


def test_merged_and_unmerged_branches(repo_with_env: Path, tmp_path: Path) -> None:
    tree = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/f", "main")
    assert wt.is_merged(str(repo_with_env), "switchyard/f", "main")
    (tree.path / "x.txt").write_text("x\n")
    wt.commit_all(tree.path, "work")
    assert not wt.is_merged(str(repo_with_env), "switchyard/f", "main")
    wt.remove_worktree(str(repo_with_env), tree.path)
    assert not tree.path.exists()
    assert not wt.delete_branch(str(repo_with_env), "switchyard/missing")


def test_removing_a_dirty_worktree_needs_force(repo_with_env: Path, tmp_path: Path) -> None:
    tree = wt.ensure_worktree(str(repo_with_env), tmp_path / "card", "switchyard/g", "main")
    (tree.path / "wip.txt").write_text("wip\n")
    with pytest.raises(wt.WorktreeError):
        wt.remove_worktree(str(repo_with_env), tree.path)
    wt.remove_worktree(str(repo_with_env), tree.path, force=True)
    assert not tree.path.exists()


@pytest.mark.parametrize("requested", ["../outside", "a/../../outside", "/etc/passwd", "link/secret", "bad\x00name"])
def test_paths_that_lead_out_are_refused(tmp_path: Path, requested: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(PathEscape):
        resolve_inside(root, requested)


@pytest.mark.parametrize("requested", ["a.txt", "src/../a.txt", "./src/x.py", "."])
def test_paths_inside_are_resolved(tmp_path: Path, requested: str) -> None:
    assert tmp_path.resolve() in [*resolve_inside(tmp_path, requested).parents, resolve_inside(tmp_path, requested)]


@pytest.mark.parametrize(("title", "slug"), [("Fix login bug!", "fix-login-bug"), ("", "card"), ("Ünïcode & stuff", "n-code-stuff")])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug
