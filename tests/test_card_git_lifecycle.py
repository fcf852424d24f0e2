"""A card's git life after its agents: deleting it (worktree and branch), merging its branch into
the base branch with each strategy, and the clean-up job that removes finished cards' worktrees
and measures the disk they use. Real repositories, sessions against a fake provider."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import Card, CardHistory, utcnow
from orchestrator.scheduler import build_scheduler
from tests.conftest import Api, git
from tests.fake_providers import fake_provider
from tests.test_agent_runtime import credential, run_until_settled


def work_card(app: Any, api: Api, project: dict[str, Any], columns: dict[str, Any], title: str,
              files: dict[str, str]) -> dict[str, Any]:
    """A card whose Implement session wrote `files` (committed on its branch when it ended)."""
    writes = [{"tool": "write_file", "input": {"path": name, "content": text}} for name, text in files.items()]
    with fake_provider("anthropic", [writes, [{"tool": "finish", "input": {"summary": f"wrote {title}"}}]]) as (
            _server, url):
        cred = credential(api, "anthropic", url)
        card = api.post(f"/api/projects/{project['id']}/cards",
                        {"title": title, "columnId": columns["Implement"]["id"]}, expect=201)
        api.put(f"/api/projects/{project['id']}/cards/{card['id']}/credential", {"credentialId": cred})
        run_until_settled(app)
    done = api.get(f"/api/projects/{project['id']}/cards/{card['id']}")
    assert done["branch"] and Path(done["worktreePath"], *files.keys()).exists()
    return done


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


def history(app: Any, card_id: str, action: str) -> dict[str, Any]:
    with app.extensions["switchyard"].transaction() as db:
        row = db.scalars(select(CardHistory).where(CardHistory.card_id == card_id, CardHistory.action == action)
                         .order_by(CardHistory.id.desc())).first()
        assert row is not None, f"no {action} history for {card_id}"
        return row.changes


def card_url(project: dict[str, Any], card: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/cards/{card['id']}"


def job(app: Any, job_id: str) -> None:
    """Run one of the scheduler's jobs now, exactly as the scheduler would (it is never started)."""
    runtime = app.extensions["switchyard"]
    wake = runtime.on_queued
    found = build_scheduler(runtime).get_job(job_id)
    runtime.on_queued = wake
    found.func(*found.args)


# Deleting a card -------------------------------------------------------------------------------


def test_a_dirty_worktree_refuses_the_delete_until_forced(app, api, project, columns, repo) -> None:  # type: ignore[no-untyped-def]
    card = work_card(app, api, project, columns, "Dirty", {"a.txt": "a\n"})
    tree = Path(card["worktreePath"])
    (tree / "scratch.txt").write_text("not committed\n")

    refused = api.client.delete(card_url(project, card))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "worktree_dirty"
    assert (tree / "scratch.txt").exists() and api.get(card_url(project, card))["id"] == card["id"]

    api.delete(f"{card_url(project, card)}?force=true")
    api.get(card_url(project, card), expect=404)
    assert not tree.exists()
    assert card["branch"] not in branches(repo), "force deletes the unmerged branch too"
    changes = history(app, card["id"], "deleted")
    assert changes["worktree"] == {"before": str(tree), "after": "removed"}
    assert changes["branch"]["after"].startswith("deleted (not merged into main; force=true)")


def test_an_unmerged_branch_is_kept_and_a_merged_one_deleted(app, api, project, columns, repo) -> None:  # type: ignore[no-untyped-def]
    kept = work_card(app, api, project, columns, "Kept", {"kept.txt": "k\n"})
    merged = work_card(app, api, project, columns, "Merged", {"merged.txt": "m\n"})
    api.post(f"{card_url(project, merged)}/merge", {"strategy": "merge"})

    api.delete(card_url(project, kept))
    assert not Path(kept["worktreePath"]).exists()
    assert kept["branch"] in branches(repo), "unmerged work is never thrown away without force"
    assert history(app, kept["id"], "deleted")["branch"] == {"before": kept["branch"],
                                                             "after": "kept: not merged into main"}

    api.delete(card_url(project, merged))
    assert merged["branch"] not in branches(repo)
    assert history(app, merged["id"], "deleted")["branch"]["after"] == "deleted (merged into main)"
    assert (repo / "merged.txt").read_text() == "m\n", "the merged work stays on main"


def test_a_card_without_a_worktree_is_deleted_plainly(api, project, repo) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "Never worked"}, expect=201)
    api.delete(card_url(project, card))
    assert branches(repo) == ["main"]


# Merging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
def test_merge_puts_the_cards_work_on_the_base_branch(app, api, project, columns, repo, strategy) -> None:  # type: ignore[no-untyped-def]
    card = work_card(app, api, project, columns, "Feature", {"feature.txt": "new\n"})
    (repo / "other.txt").write_text("meanwhile on main\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-q", "-m", "meanwhile")

    result = api.post(f"{card_url(project, card)}/merge", {"strategy": strategy})
    head = git(repo, "rev-parse", "HEAD").strip()
    assert result == {"merged": True, "strategy": strategy, "commit": head}
    assert git(repo, "show", "main:feature.txt") == "new\n" and (repo / "feature.txt").read_text() == "new\n"
    assert git(repo, "show", "main:other.txt") == "meanwhile on main\n"
    assert git(repo, "status", "--porcelain") == "" and git(repo, "branch", "--show-current").strip() == "main"
    merges = git(repo, "rev-list", "--merges", "main").split()
    assert len(merges) == (1 if strategy == "merge" else 0)
    if strategy == "rebase":
        assert git(repo, "rev-parse", card["branch"]).strip() == head, "main fast-forwarded to the rebased branch"
    assert history(app, card["id"], "merged")["merge"]["after"]["strategy"] == strategy


def test_merge_refuses_a_dirty_checkout_or_one_off_the_base_branch(app, api, project, columns, repo) -> None:  # type: ignore[no-untyped-def]
    card = work_card(app, api, project, columns, "Waits", {"w.txt": "w\n"})
    before = git(repo, "rev-parse", "main")
    (repo / "README.md").write_text("edited by hand\n")
    dirty = api.client.post(f"{card_url(project, card)}/merge", json={"strategy": "merge"})
    assert dirty.status_code == 409
    error = dirty.get_json()["error"]
    assert error["code"] == "checkout_dirty" and "uncommitted changes (README.md)" in error["message"]
    git(repo, "checkout", "-q", "--", "README.md")

    git(repo, "checkout", "-q", "-b", "elsewhere")
    off = api.client.post(f"{card_url(project, card)}/merge", json={"strategy": "squash"})
    assert off.status_code == 409 and off.get_json()["error"]["code"] == "checkout_dirty"
    assert "is on elsewhere, not the base branch main" in off.get_json()["error"]["message"]
    assert git(repo, "rev-parse", "main") == before


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
def test_a_conflicting_merge_is_aborted_and_the_checkout_left_as_it_was(app, api, project, columns, repo,
                                                                       strategy) -> None:  # type: ignore[no-untyped-def]
    card = work_card(app, api, project, columns, "Clash", {"README.md": "# from the card\n"})
    (repo / "README.md").write_text("# from main\n")
    git(repo, "commit", "-q", "-am", "main changes the readme")
    before = git(repo, "rev-parse", "HEAD")
    branch_before = git(repo, "rev-parse", card["branch"])

    response = api.client.post(f"{card_url(project, card)}/merge", json={"strategy": strategy})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "merge_conflict" and "README.md" in error["message"]
    assert git(repo, "status", "--porcelain") == "" and git(repo, "branch", "--show-current").strip() == "main"
    assert git(repo, "rev-parse", "HEAD") == before and (repo / "README.md").read_text() == "# from main\n"
    assert git(repo, "rev-parse", card["branch"]) == branch_before
    assert git(Path(card["worktreePath"]), "status", "--porcelain") == ""


def test_merge_needs_a_branch_and_a_known_strategy(api, project) -> None:  # type: ignore[no-untyped-def]
    card = api.post(f"/api/projects/{project['id']}/cards", {"title": "No work yet"}, expect=201)
    response = api.client.post(f"{card_url(project, card)}/merge", json={"strategy": "merge"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "no_branch"
    api.post(f"{card_url(project, card)}/merge", {"strategy": "octopus"}, expect=400)


# Clean-up and disk use -------------------------------------------------------------------------


def test_clean_up_removes_old_finished_worktrees_but_keeps_dirty_ones_and_every_branch(
        app, api, project, columns, repo) -> None:  # type: ignore[no-untyped-def]
    old = work_card(app, api, project, columns, "Old and clean", {"old.txt": "o\n"})
    dirty = work_card(app, api, project, columns, "Old and dirty", {"dirty.txt": "d\n"})
    recent = work_card(app, api, project, columns, "Recently done", {"recent.txt": "r\n"})
    for card in (old, dirty, recent):
        api.post(f"{card_url(project, card)}/complete", expect=204)
    (Path(dirty["worktreePath"]) / "unsaved.txt").write_text("work in progress\n")
    with app.extensions["switchyard"].transaction() as db:  # done eight days ago (retention: 7)
        for card in (old, dirty):
            db.get(Card, card["id"]).completed_at = utcnow() - timedelta(days=8)

    job(app, "worktree_cleanup")

    assert not Path(old["worktreePath"]).exists()
    assert api.get(card_url(project, old))["worktreePath"] is None
    assert Path(dirty["worktreePath"], "unsaved.txt").exists() and Path(recent["worktreePath"]).exists()
    assert {old["branch"], dirty["branch"], recent["branch"]} <= set(branches(repo)), "branches are never deleted"
    assert history(app, old["id"], "worktree_removed")["worktree"]["before"] == old["worktreePath"]

    merged = api.post(f"{card_url(project, old)}/merge", {"strategy": "rebase"})  # no worktree left to rebase in
    assert merged["merged"] and (repo / "old.txt").read_text() == "o\n"
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 3  # checkout + two cards


def test_projects_show_the_disk_their_worktrees_use(app, api, project, columns) -> None:  # type: ignore[no-untyped-def]
    job(app, "worktree_disk")
    assert api.get(f"/api/projects/{project['id']}")["worktreeDiskBytes"] == 0
    card = work_card(app, api, project, columns, "Big", {"big.txt": "x" * 50_000})

    job(app, "worktree_disk")
    size = api.get(f"/api/projects/{project['id']}")["worktreeDiskBytes"]
    assert size > 50_000
    listed = next(p for p in api.get("/api/projects") if p["id"] == project["id"])
    assert listed["worktreeDiskBytes"] == size

    api.delete(card_url(project, card))
    job(app, "worktree_disk")
    assert api.get(f"/api/projects/{project['id']}")["worktreeDiskBytes"] == 0
