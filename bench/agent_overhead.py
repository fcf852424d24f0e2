"""Benchmark: the orchestrator's own time per agent turn, with many sessions at once.

    .venv/bin/python bench/agent_overhead.py [--sessions 20] [--turns 50]

1. A fake Anthropic server on loopback with no latency of its own: it answers each session's
   requests with a tool call (`read_file`, and `add_todo` every tenth turn, so the database is
   written too) until the session's last turn, which calls `finish`. It notes when each request
   arrives and when each reply has been written, per session (a session is told apart by its
   first user message, which holds the card's title).
2. A project whose default credential points at it, and `--sessions` cards in Backlog.
3. `switchyard serve` with max_concurrent_sessions = sessions; all cards are moved into
   "In Progress" at once, and the benchmark waits until every session has ended.

"Orchestrator time per turn" (DESIGN.md): between a model response arriving and the next model
request leaving, per session: here, from the fake server's last byte of reply N to the arrival of
request N+1. It includes the SDK's parsing, the recording transactions, the tool itself and
loopback. Aim (issue 4): median under 10 ms, and no "database is locked" in the server log.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from support import bench_runtime, make_repo, percentile, start_server, stop_server

from tests.fake_providers import FakeServer, fake_provider

AIM_MEDIAN_MS = 10.0


class TimedModel(FakeServer):
    """Scripted per conversation by its turn number; timestamps every request and reply."""

    def __init__(self, turns: int) -> None:
        super().__init__([])
        self.turns = turns
        self.arrived: dict[tuple[str, int], float] = {}
        self.replied_at: dict[tuple[str, int], float] = {}
        self.times_lock = threading.Lock()

    def reply_for(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        key = _conversation(body), _turn(body)
        with self.times_lock:
            self.arrived[key] = time.perf_counter()
        if key[1] >= self.turns - 1:
            return [{"tool": "finish", "input": {"summary": "all turns done"}}]
        if key[1] % 10 == 9:
            return [{"tool": "add_todo", "input": {"text": f"step {key[1]}"}}]
        return [{"text": f"turn {key[1]}"}, {"tool": "read_file", "input": {"path": "README.md"}}]

    def replied(self, body: dict[str, Any]) -> None:
        with self.times_lock:
            self.replied_at[_conversation(body), _turn(body)] = time.perf_counter()

    def overheads(self) -> list[float]:
        """Seconds from each reply's end to the same conversation's next request."""
        return [self.arrived[(conv, turn + 1)] - end for (conv, turn), end in self.replied_at.items()
                if (conv, turn + 1) in self.arrived]


def _conversation(body: dict[str, Any]) -> str:
    first = body["messages"][0]["content"]
    return first if isinstance(first, str) else first[0].get("text", "")


def _turn(body: dict[str, Any]) -> int:
    return sum(1 for message in body["messages"] if message["role"] == "assistant")


def main() -> int:
    args = parse_args()
    model = TimedModel(args.turns)
    with fake_provider("anthropic", [], state=model) as (_server, base_url), \
            tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        data_dir, repo = Path(tmp) / "data", make_repo(Path(tmp) / "repo")
        project_id, active_column, card_ids = seed(data_dir, repo, args.sessions, base_url)
        log_path = Path(tmp) / "server.log"
        server, url = start_server(data_dir, log_path, {
            "SWITCHYARD_AGENTS_MAX_CONCURRENT_SESSIONS": str(args.sessions),
            "SWITCHYARD_AGENTS_MAX_TURNS": str(args.turns + 10),
            "SWITCHYARD_SERVER_THREADS": str(max(16, args.sessions)),
        })
        try:
            elapsed, statuses = run(url, project_id, active_column, card_ids)
        finally:
            stop_server(server)
        locked = log_path.read_text().count("database is locked")
    return report(model, args, elapsed, statuses, locked)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--turns", type=int, default=50)
    return parser.parse_args()


def seed(data_dir: Path, repo: Path, count: int, base_url: str) -> tuple[str, str, list[str]]:
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
        columns = session.scalars(select(Column).where(Column.project_id == project.id)).all()
        backlog = next(c for c in columns if c.column_type == "backlog")
        active = next(c for c in columns if c.column_type == "active")
        card_ids = [cards.create_card(session, LOCAL, project.id, {
            "title": f"Session {n}", "prompt": "Read the README again and again.", "columnId": backlog.id,
        }).id for n in range(count)]
        return project.id, active.id, card_ids


def run(url: str, project_id: str, column_id: str, card_ids: list[str]) -> tuple[float, dict[str, str]]:
    http = requests.Session()
    started = time.perf_counter()
    for card_id in card_ids:
        http.patch(f"{url}/api/projects/{project_id}/cards/{card_id}/move",
                   json={"columnId": column_id}).raise_for_status()
    statuses: dict[str, str] = {}
    deadline = time.monotonic() + 600
    while len(statuses) < len(card_ids) and time.monotonic() < deadline:
        time.sleep(0.5)
        for card_id in card_ids:
            if card_id in statuses:
                continue
            agent = http.get(f"{url}/api/projects/{project_id}/cards/{card_id}/agent")
            if agent.ok and agent.json()["data"]["status"] in ("completed", "failed", "cancelled", "interrupted"):
                statuses[card_id] = agent.json()["data"]["status"]
    return time.perf_counter() - started, statuses


def report(model: TimedModel, args: argparse.Namespace, elapsed: float, statuses: dict[str, str],
           locked: int) -> int:
    overheads = model.overheads()
    completed = sum(1 for status in statuses.values() if status == "completed")
    print(f"{args.sessions} sessions x {args.turns} turns: {completed} completed, "
          f"{len(model.arrived)} model requests in {elapsed:.1f} s")
    if not overheads:
        print("no turns measured")
        return 1
    median = statistics.median(overheads) * 1000
    print(f"orchestrator time per turn over {len(overheads)} turns: median {median:.1f} ms, "
          f"p90 {percentile(overheads, 90):.1f} ms, p99 {percentile(overheads, 99):.1f} ms, "
          f"max {max(overheads) * 1000:.1f} ms")
    print(f'"database is locked" in the server log: {locked} times')
    print(f"aim median < {AIM_MEDIAN_MS:.0f} ms: {'met' if median < AIM_MEDIAN_MS else 'NOT met'}; "
          f"no locked errors: {'met' if locked == 0 else 'NOT met'}")
    return 0 if completed == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
