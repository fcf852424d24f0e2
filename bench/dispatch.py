"""Benchmark: from a card's move into an active column to its agent session running.

    .venv/bin/python bench/dispatch.py [--sizes 100,10000] [--moves 30]

For each project size:
1. a temporary data directory and git repository; the schema; a project (Kanban Default board)
   whose default credential points at a fake Anthropic server on loopback (the real SDK talks to
   it; it answers every request with a `finish` tool call at once), and N cards in Backlog,
   all made through the orchestrator's own functions before the server starts;
2. `switchyard serve` as a subprocess (scheduler inside, tick 1 s, woken at once on a queue);
3. one card at a time: note the wall clock, PATCH its move into "In Progress", then read its
   agent until the session has started; the figure is the session's `startedAt` (written when
   the worker marks it running, after its worktree exists) minus the time before the request.
   Then wait for the session to end, so each move meets an idle scheduler.

Aim (issue 4): p50 under 300 ms, and the large project no more than 1.5 times the small one.
Prints figures; exits 1 only if a session fails to start.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests
from support import bench_runtime, make_repo, percentile, start_server, stop_server

from tests.fake_providers import FakeServer, fake_provider

AIM_P50_MS = 300.0
AIM_RATIO = 1.5
FINISH = [{"tool": "finish", "input": {"summary": "done"}}]


class AlwaysFinish(FakeServer):
    def reply_for(self, body: dict[str, object]) -> list[dict[str, object]]:
        return FINISH


def main() -> int:
    args = parse_args()
    results: dict[int, list[float]] = {}
    with fake_provider("anthropic", [], state=AlwaysFinish([])) as (_server, base_url):
        for size in args.sizes:
            results[size] = run(size, args.moves, base_url)
            if not results[size]:
                return 1
    print(f"\n{'cards':>8} {'moves':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for size, latencies in results.items():
        print(f"{size:>8} {len(latencies):>6} {percentile(latencies, 50):>8.0f} "
              f"{percentile(latencies, 99):>8.0f} {max(latencies) * 1000:>8.0f}")
    small, large = min(results), max(results)
    ratio = percentile(results[large], 50) / percentile(results[small], 50)
    worst_p50 = max(percentile(v, 50) for v in results.values())
    print(f"\nratio p50 {large} / {small} cards: {ratio:.2f}")
    print(f"aim p50 < {AIM_P50_MS:.0f} ms: {'met' if worst_p50 < AIM_P50_MS else 'NOT met'}; "
          f"aim ratio <= {AIM_RATIO}: {'met' if ratio <= AIM_RATIO else 'NOT met'}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=[100, 10000])
    parser.add_argument("--moves", type=int, default=30)
    return parser.parse_args()


def run(size: int, moves: int, base_url: str) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        data_dir, repo = Path(tmp) / "data", make_repo(Path(tmp) / "repo")
        started = time.perf_counter()
        project_id, active_column, card_ids = seed(data_dir, repo, size, base_url)
        print(f"{size} cards seeded in {time.perf_counter() - started:.1f} s")
        server, url = start_server(data_dir, Path(tmp) / "server.log")
        try:
            http = requests.Session()
            latencies = []
            for card_id in card_ids[:moves]:
                latency = move_and_wait(http, url, project_id, card_id, active_column)
                if latency is None:
                    print(f"card {card_id}: the session did not start; see the server log:\n"
                          f"{(Path(tmp) / 'server.log').read_text()[-2000:]}")
                    return []
                latencies.append(latency)
            return latencies
        finally:
            stop_server(server)


def seed(data_dir: Path, repo: Path, count: int, base_url: str) -> tuple[str, str, list[str]]:
    """The project, its credential and cards through the domain functions."""
    from sqlalchemy import select

    from models import Column
    from orchestrator import cards, credentials, projects
    from orchestrator.access import LOCAL

    with bench_runtime(data_dir) as runtime, runtime.transaction() as session:
        project = projects.create_project(
            session, LOCAL, {"name": "Bench", "path": str(repo), "templateId": "tpl_kanban_default"})
        credential = credentials.create_credential(session, LOCAL, runtime.keyring, {
            "name": "fake", "provider": "anthropic", "apiKey": "sk-test-key", "baseUrl": base_url})
        projects.set_project_credential(session, LOCAL, project.id, credential.id)
        columns = session.scalars(select(Column).where(Column.project_id == project.id)
                                  .order_by(Column.position)).all()
        backlog = next(c for c in columns if c.column_type == "backlog")
        active = next(c for c in columns if c.column_type == "active")
        card_ids = [cards.create_card(session, LOCAL, project.id, {
            "title": f"Card {n}: make thing {n} work", "prompt": "Some work order text. " * 10,
            "columnId": backlog.id, "labels": ["bench"],
        }).id for n in range(count)]
        return project.id, active.id, card_ids


def move_and_wait(http: requests.Session, url: str, project_id: str, card_id: str, column_id: str) -> float | None:
    before = time.time()
    response = http.patch(f"{url}/api/projects/{project_id}/cards/{card_id}/move", json={"columnId": column_id})
    response.raise_for_status()
    deadline = time.monotonic() + 30
    started_at = None
    while time.monotonic() < deadline:
        agent = http.get(f"{url}/api/projects/{project_id}/cards/{card_id}/agent")
        if agent.ok:
            session = agent.json()["data"]
            started_at = started_at or session["startedAt"]
            if session["status"] in ("completed", "failed", "cancelled"):
                break
        time.sleep(0.01)
    if started_at is None:
        return None
    return datetime.fromisoformat(started_at.replace("Z", "+00:00")).timestamp() - before


if __name__ == "__main__":
    sys.exit(main())
