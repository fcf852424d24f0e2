"""Benchmark: listing a project's 5,000 cards through the running server, against /api/health.

    .venv/bin/python bench/api_list.py [--cards 5000] [--card-requests 300] [--health-requests 1000]

What it does:
1. makes a temporary data directory and a temporary git repository;
2. creates the schema (`switchyard db upgrade`), then a project with the Kanban Default board and
   the cards, directly through the orchestrator's own functions (create_project, create_card: the
   same code the API calls, history and events included) in one transaction against the same
   SQLite file, before the server starts; 5,000 POSTs through the API would only slow the setup;
3. starts `switchyard serve` as a subprocess on a free port and waits for /api/health;
4. through one keep-alive connection (http.client), warms up, then times N requests of
   GET /api/projects/{id}/cards and of GET /api/health, and prints p50 and p99 latency (ms),
   requests per second, and the ratio cards-p50 / health-p50 (what the list costs beyond a
   trivial request).

Aim (issue 3): cards p50 under 30 ms. This is not a test: it prints figures and exits 0, or 1 if
a request fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from support import bench_runtime, make_repo, percentile, start_server, stop_server

AIM_CARDS_P50_MS = 30.0


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        data_dir, repo = Path(tmp) / "data", make_repo(Path(tmp) / "repo")
        started = time.perf_counter()
        project_id = seed(data_dir, repo, args.cards)
        print(f"seeded {args.cards} cards in {time.perf_counter() - started:.1f} s (orchestrator functions, "
              "one transaction, before the server starts)")
        server, url = start_server(data_dir, Path(tmp) / "server.log")
        try:
            return measure(url, project_id, args)
        finally:
            stop_server(server)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--card-requests", type=int, default=300)
    parser.add_argument("--health-requests", type=int, default=1000)
    return parser.parse_args()


# Setup -----------------------------------------------------------------------------------------


def seed(data_dir: Path, repo: Path, count: int) -> str:
    """The project and its cards, through the domain functions; returns the project id."""
    from sqlalchemy import select

    from models import Column
    from orchestrator import cards, projects
    from orchestrator.access import LOCAL

    with bench_runtime(data_dir) as runtime:
        with runtime.transaction() as session:
            project = projects.create_project(
                session, LOCAL, {"name": "Bench", "path": str(repo), "templateId": "tpl_kanban_default"}
            )
            column_ids = session.scalars(
                select(Column.id).where(Column.project_id == project.id).order_by(Column.position)
            ).all()
            priorities = ["none", "low", "medium", "high", "urgent"]
            for n in range(count):
                cards.create_card(session, LOCAL, project.id, {
                    "title": f"Card {n}: make the thing number {n} work",
                    "prompt": "Some work order text. " * 10,
                    "columnId": column_ids[n % len(column_ids)],
                    "labels": ["bench", f"group-{n % 7}"],
                    "priority": priorities[n % len(priorities)],
                })
            return project.id


# Measuring -------------------------------------------------------------------------------------


def measure(url: str, project_id: str, args: argparse.Namespace) -> int:
    # http.client, not requests: with a 3 MB body, requests' chunked reading would add tens of
    # milliseconds of client time to every figure. One connection, kept alive throughout.
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    cards_path = f"/api/projects/{project_id}/cards"
    try:
        body = get(connection, cards_path)
        found = len(json.loads(body)["data"])
        print(f"GET /api/projects/{{id}}/cards returns {found} cards, {len(body) / 1e6:.2f} MB\n")
        cards = timed(connection, cards_path, args.card_requests)
        health = timed(connection, "/api/health", args.health_requests)
    finally:
        connection.close()

    print(f"{'endpoint':32} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    report("GET /api/projects/{id}/cards", cards)
    report("GET /api/health", health)
    ratio = percentile(cards, 50) / percentile(health, 50)
    print(f"\nratio cards-p50 / health-p50: {ratio:.1f}")
    verdict = "met" if percentile(cards, 50) < AIM_CARDS_P50_MS else "NOT met"
    print(f"aim cards p50 < {AIM_CARDS_P50_MS:.0f} ms: {verdict}")
    return 0 if found == args.cards else 1


def get(connection: http.client.HTTPConnection, path: str) -> bytes:
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()  # the whole body is part of the request's cost
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:500]!r}")
    return body


def timed(connection: http.client.HTTPConnection, path: str, count: int) -> list[float]:
    """Latencies in seconds of `count` sequential GETs (after a few warm-up requests)."""
    for _ in range(min(20, count)):
        get(connection, path)
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        get(connection, path)
        latencies.append(time.perf_counter() - start)
    return latencies


def report(name: str, latencies: list[float]) -> None:
    rate = len(latencies) / sum(latencies)
    print(f"{name:32} {len(latencies):>8} {percentile(latencies, 50):>8.1f} "
          f"{percentile(latencies, 99):>8.1f} {rate:>8.0f}")


if __name__ == "__main__":
    sys.exit(main())
