"""Benchmark: pushing 100,000 conversation turns to a task through /api/ext/v1, then reading a page.

    .venv/bin/python bench/turns_ingest.py [--turns 100000] [--batch 100] [--page-requests 300]

What it does:
1. makes a temporary data directory and git repository; creates the schema, a project (Kanban
   Default board), one task and an all-boards `ak_` key through the orchestrator's own functions
   (create_project, create_card, api_keys.create_key: the code the API calls) before the server
   starts;
2. starts `switchyard serve` as a subprocess with the key's rate limit raised through
   configuration (SWITCHYARD_RATELIMIT_EXT_PER_MINUTE), as DESIGN.md says benchmarks do;
3. builds every batch up front (so the client's JSON encoding is not timed): 100 turns each from
   three sources, of which 10% repeat turns already sent (the duplicates a retrying extension
   sends), until the new ones reach the target; then POSTs them one after another through one
   keep-alive connection (http.client) and prints turns stored per second, turns posted per
   second and the batch latency (p50, p99);
4. checks the server stored exactly the target (the watermark and a count in the database);
5. times GET .../turns?limit=50 (the first page) and the page after a time near the end, and
   prints p50 and p99.

Aim (issue 7): over 2,000 turns/s stored on SQLite, and the page under 20 ms. This is not a test:
it prints figures and exits 0, or 1 if a request fails or the count is wrong.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from support import bench_runtime, make_repo, percentile, start_server, stop_server

AIM_TURNS_PER_SECOND = 2000.0
AIM_PAGE_MS = 20.0
SOURCES = ("copilot", "claude-code", "codex")
DUPLICATE_SHARE = 0.10
START = datetime(2025, 6, 20, 10, 0, tzinfo=UTC)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp:
        data_dir, repo = Path(tmp) / "data", make_repo(Path(tmp) / "repo")
        key, turns_path = seed(data_dir, repo)
        batches = build_batches(args.turns, args.batch)
        print(f"{len(batches)} batches of {args.batch} turns ({args.turns} new, "
              f"{sum(len(b['turns']) for b in batches) - args.turns} duplicates) built before timing")
        server, url = start_server(data_dir, Path(tmp) / "server.log",
                                   {"SWITCHYARD_RATELIMIT_EXT_PER_MINUTE": "100000000"})
        try:
            ok = measure(url, key, turns_path, batches, args)
        finally:
            stop_server(server)
        return 0 if ok and stored_count(data_dir) == args.turns else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--page-requests", type=int, default=300)
    return parser.parse_args()


# Setup -----------------------------------------------------------------------------------------


def seed(data_dir: Path, repo: Path) -> tuple[str, str]:
    """The project, a task and a key; returns the key and the task's turns path."""
    from orchestrator import api_keys, cards, projects
    from orchestrator.access import LOCAL

    with bench_runtime(data_dir) as runtime, runtime.transaction() as session:
        project = projects.create_project(session, LOCAL, {"name": "Bench", "path": str(repo),
                                                           "templateId": "tpl_kanban_default"})
        card = cards.create_card(session, LOCAL, project.id, {"title": "A long conversation"})
        _key, secret = api_keys.create_key(session, runtime.keyring, LOCAL, {"name": "bench", "allBoards": True})
        return secret, f"/api/ext/v1/boards/{card.board_id}/tasks/{card.id}/turns"


def build_batches(target: int, size: int) -> list[dict[str, object]]:
    """Batches of `size` turns, DUPLICATE_SHARE of each repeating earlier turns, until `target` new."""
    rng = random.Random(7)
    sent: list[dict[str, object]] = []
    batches = []
    while len(sent) < target:
        repeats = min(len(sent), round(size * DUPLICATE_SHARE))
        fresh = [new_turn(len(sent) + n) for n in range(min(size - repeats, target - len(sent)))]
        batch = rng.sample(sent, repeats) + fresh
        sent.extend(fresh)
        batches.append({"turns": batch})
    return batches


def new_turn(n: int) -> dict[str, object]:
    return {"source": SOURCES[n % len(SOURCES)], "sourceId": f"msg-{n:07d}",
            "role": "user" if n % 2 == 0 else "assistant",
            "content": f"Turn {n}: how do I fix the login bug? " + "The issue is in the auth middleware. " * 4,
            "capturedAt": (START + timedelta(milliseconds=250 * n)).isoformat().replace("+00:00", "Z")}


def stored_count(data_dir: Path) -> int:
    from sqlalchemy import func, select

    from models import Turn

    with bench_runtime(data_dir) as runtime, runtime.transaction() as session:
        count = session.scalar(select(func.count()).select_from(Turn)) or 0
    print(f"turns in the database after the run: {count}")
    return count


# Measuring -------------------------------------------------------------------------------------


def measure(url: str, key: str, turns_path: str, batches: list[dict[str, object]],
            args: argparse.Namespace) -> bool:
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    bodies = [json.dumps(batch).encode() for batch in batches]
    try:
        latencies, inserted = [], 0
        started = time.perf_counter()
        for body in bodies:
            begin = time.perf_counter()
            status, reply = request(connection, "POST", turns_path, headers, body)
            latencies.append(time.perf_counter() - begin)
            if status != 201:
                print(f"POST failed: {status} {reply[:300]!r}")
                return False
            inserted += json.loads(reply)["data"]["inserted"]
        elapsed = time.perf_counter() - started
        posted = sum(len(batch["turns"]) for batch in batches)  # type: ignore[arg-type]
        print(f"\nstored {inserted} turns in {elapsed:.1f} s: {inserted / elapsed:,.0f} turns/s stored, "
              f"{posted / elapsed:,.0f} turns/s posted, {len(bodies) / elapsed:.0f} batches/s")
        print(f"batch POST latency: p50 {percentile(latencies, 50):.1f} ms, p99 {percentile(latencies, 99):.1f} ms")
        status, reply = request(connection, "GET", f"{turns_path}/watermark", headers)
        print(f"watermarks: {json.loads(reply)['watermarks']}")

        first = timed(connection, f"{turns_path}?limit=50", headers, args.page_requests)
        near_end = (START + timedelta(milliseconds=250 * (args.turns - 60))).isoformat().replace("+00:00", "Z")
        late = timed(connection, f"{turns_path}?limit=50&after={near_end}", headers, args.page_requests)
    finally:
        connection.close()

    print(f"\n{'GET .../turns':36} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in (("?limit=50 (first page)", first), ("?limit=50&after=<near the end>", late)):
        print(f"{name:36} {len(values):>8} {percentile(values, 50):>8.1f} {percentile(values, 99):>8.1f}")
    rate = inserted / elapsed
    page = max(percentile(first, 50), percentile(late, 50))
    print(f"\naim > {AIM_TURNS_PER_SECOND:,.0f} turns/s: {'met' if rate > AIM_TURNS_PER_SECOND else 'NOT met'}; "
          f"aim page < {AIM_PAGE_MS:.0f} ms: {'met' if page < AIM_PAGE_MS else 'NOT met'}")
    return inserted == args.turns


def request(connection: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str],
            body: bytes | None = None) -> tuple[int, bytes]:
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def timed(connection: http.client.HTTPConnection, path: str, headers: dict[str, str], count: int) -> list[float]:
    """Latencies in seconds of `count` GETs (after a few warm-up requests); each must return 50 turns."""
    for _ in range(min(20, count)):
        request(connection, "GET", path, headers)
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        status, body = request(connection, "GET", path, headers)
        latencies.append(time.perf_counter() - start)
        if status != 200 or len(json.loads(body)["data"]) != 50:
            raise SystemExit(f"GET {path}: {status} {body[:300]!r}")
    return latencies


if __name__ == "__main__":
    sys.exit(main())
