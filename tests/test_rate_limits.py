"""Requests per minute per `ak_` key: 429 with Retry-After past the limit, X-RateLimit-* headers on
every response, a budget per dialect, and one shared count across processes through Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import Settings, load_settings
from tests.conftest import REDIS, redis_answers
from tests.ext_support import EXT, KeyClient, make_key
from web import create_app


def limited(tmp_path: Path, database_url: str, **extra: Any) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "ratelimit.ext_per_minute": 3, "ratelimit.tasks_per_minute": 2, **extra})


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return limited(tmp_path, database_url)


def test_past_the_limit_a_key_gets_429_with_retry_after(api, client, project) -> None:  # type: ignore[no-untyped-def]
    key = make_key(api, allBoards=True, defaultProjectId=project["id"])["key"]
    headers = {"Authorization": f"Bearer {key}"}
    remaining = []
    for _ in range(3):
        response = client.get(f"{EXT}/boards", headers=headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert int(response.headers["X-RateLimit-Reset"]) > 1_700_000_000  # a Unix time
    assert remaining == [2, 1, 0]

    refused = client.get(f"{EXT}/boards", headers=headers)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": {"code": "rate_limited", "message": "Rate limit exceeded. Try again later."}}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # Writes are refused too, and change nothing.
    assert client.post(f"{EXT}/boards", json={"name": "x"}, headers=headers).status_code == 429

    # Another key has its own budget; the native API is not limited this way.
    other = KeyClient(client, make_key(api, "other", allBoards=True)["key"])
    assert other.get(f"{EXT}/boards")["data"]
    assert len(api.get(f"/api/projects/{project['id']}/boards")) == 1


def test_errors_carry_the_headers_too(api, client) -> None:  # type: ignore[no-untyped-def]
    key = make_key(api, allBoards=True)["key"]
    response = client.get(f"{EXT}/boards/board_nope", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 404
    assert response.headers["X-RateLimit-Remaining"] == "2"


def test_the_tasks_api_has_its_own_budget_and_shape(api, client, project) -> None:  # type: ignore[no-untyped-def]
    key = make_key(api, allBoards=True, defaultProjectId=project["id"])["key"]
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(2):
        assert client.get("/tasks-api.php?action=todo", headers=headers).status_code == 200
    refused = client.get("/tasks-api.php?action=todo", headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    body = refused.get_json()
    assert body["success"] is False and body["code"] == "RATE_LIMITED" and body["error"]
    assert client.get(f"{EXT}/boards", headers=headers).status_code == 200  # the ext budget is apart


@pytest.mark.skipif(not redis_answers(), reason="needs Redis on 127.0.0.1:6379")
def test_web_processes_share_one_limit_through_redis(tmp_path, database_url, api, project) -> None:  # type: ignore[no-untyped-def]
    """Two apps (as two web processes would be) with Redis storage count one key's requests together."""
    key = make_key(api, allBoards=True)["key"]
    headers = {"Authorization": f"Bearer {key}"}
    shared = limited(tmp_path, database_url, **{"ratelimit.storage_url": f"redis://{REDIS[0]}:{REDIS[1]}"})
    first, second = create_app(shared), create_app(shared)
    try:
        statuses = [app.test_client().get(f"{EXT}/boards", headers=headers).status_code
                    for app in (first, second, first, second)]
    finally:
        for app in (first, second):
            app.extensions["switchyard"].close()
    assert statuses == [200, 200, 200, 429]
