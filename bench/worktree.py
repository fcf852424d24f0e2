"""Benchmark: a card's worktree and its diff on a 10,000-file repository, against plain git.

    .venv/bin/python bench/worktree.py [--files 10000] [--rounds 5]

1. A repository of `--files` small files (100 folders) on `main`.
2. Creating: `workers.worktree.ensure_worktree` (what a session's start does: `git worktree add`
   on a new branch, the ignored files the project lists, the fork point), against the plain
   command `git worktree add -b <branch> <path> main`, each `--rounds` times on fresh paths.
3. Diffing: a worktree where the agent changed 20 files, committed 10 more and added 5 untracked
   files; `workers.worktree.diff` (the diff endpoint's work: committed, staged, unstaged and
   untracked changes against the fork point, with per-file stats), against the same git commands
   run by hand (`git merge-base`, `git diff <fork-point>`, `git diff --stat <fork-point>`,
   `git ls-files --others`, and `git diff --no-index` per untracked file).

Aim (issue 4): creating at most 1.3 times plain `git worktree add`; the diff at most 1.5 times
the plain commands. Prints figures (medians) and their ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from support import git, make_repo

from workers import worktree

AIM_CREATE_RATIO = 1.3
AIM_DIFF_RATIO = 1.5


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        repo = make_repo(root / "repo", files=args.files)
        print(f"repository of {args.files} files made in {time.perf_counter() - started:.1f} s")
        create_ours, create_plain = time_creation(repo, root / "trees", args.rounds)
        diff_ours, diff_plain = time_diff(repo, root / "trees" / "diffed", args.rounds)
    rows = [("create worktree", create_ours, create_plain, AIM_CREATE_RATIO),
            ("diff", diff_ours, diff_plain, AIM_DIFF_RATIO)]
    print(f"\n{'operation':18} {'switchyard ms':>14} {'plain git ms':>13} {'ratio':>6}  aim")
    for name, ours, plain, aim in rows:
        ratio = ours / plain
        print(f"{name:18} {ours * 1000:>14.1f} {plain * 1000:>13.1f} {ratio:>6.2f}  "
              f"<= {aim} {'met' if ratio <= aim else 'NOT met'}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    return parser.parse_args()


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_time(action: Callable[[], object], rounds: int) -> float:
    return statistics.median(seconds(action) for _ in range(rounds))


def time_creation(repo: Path, trees: Path, rounds: int) -> tuple[float, float]:
    # Alternate the two so that the page cache and the machine's load treat them alike.
    ours_times, plain_times = [], []
    for n in range(rounds):
        plain_path, ours_path = str(trees / f"plain-{n}"), trees / f"ours-{n}"
        plain_times.append(seconds(partial(git, repo, "worktree", "add", "-q", "-b", f"plain-{n}", plain_path, "main")))
        ours_times.append(seconds(partial(worktree.ensure_worktree, str(repo), ours_path, f"switchyard/{n}-card", "main", [])))
    return statistics.median(ours_times), statistics.median(plain_times)


def time_diff(repo: Path, path: Path, rounds: int) -> tuple[float, float]:
    tree = worktree.ensure_worktree(str(repo), path, "switchyard/diffed", "main", [])
    sources = sorted((path / "src").rglob("*.py"))
    for file in sources[:10]:
        file.write_text(file.read_text() + "\n# committed change\n")
    git(path, "commit", "-qam", "committed part")
    for file in sources[10:30]:
        file.write_text(file.read_text().replace("return VALUE", "return VALUE + 1"))
    for n in range(5):
        (path / f"new_{n}.py").write_text("NEW = True\n" * 20)

    def plain() -> None:
        fork = git(path, "merge-base", "HEAD", "main").strip()
        git(path, "diff", fork)
        git(path, "diff", "--stat", fork)
        for name in filter(None, git(path, "ls-files", "--others", "--exclude-standard", "-z").split("\0")):
            subprocess.run(["git", "diff", "--no-index", "/dev/null", name], cwd=path, capture_output=True)

    found = worktree.diff(tree.path, "main")["stats"]
    print(f"diff stats: {found}")
    ours = median_time(lambda: worktree.diff(tree.path, "main"), rounds)
    return ours, median_time(plain, rounds)


if __name__ == "__main__":
    sys.exit(main())
