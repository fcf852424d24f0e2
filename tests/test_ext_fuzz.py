"""Property-based requests against the key APIs' operations in the OpenAPI document: /api/ext/v1,
/tasks-api.php and /api/api-keys, sent with a real `ak_` key and pointed at real rows, so they get
past authentication and the 404s. The one property: no response is a server error.
(tests/test_openapi.py fuzzes the rest of the document without a key.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import select

from models import ApiKey, Board, Card, Column, Comment, Todo, Webhook
from orchestrator.config import Settings, load_settings
from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, make_key

KEY_APIS = r"^/(api/ext/v1/|tasks-api\.php|api/api-keys)"
FUZZ_SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{
        "database.url": database_url, "ratelimit.ext_per_minute": 1_000_000,
        "ratelimit.tasks_per_minute": 1_000_000, "webhooks.allow_hosts": ["127.0.0.1"]})


@dataclass
class World:
    """A board with a task, a comment, a todo and a webhook, and two keys; re-made when deleted."""

    api: Api
    app: Any
    project: dict[str, Any]
    ids: dict[str, str] = field(default_factory=dict)

    def ensure(self) -> None:
        with self.app.extensions["switchyard"].transaction() as db:
            missing = {name for name, model in (("board", Board), ("lane", Column), ("task", Card),
                                                ("comment", Comment), ("todo", Todo), ("webhook", Webhook))
                       if db.get(model, self.ids.get(name, "")) is None}
            keys = [db.get(ApiKey, self.ids.get(k, "")) for k in ("key_id", "spare_key")]
            missing |= {"keys"} if any(k is None or k.revoked_at is not None for k in keys) else set()
        if "keys" in missing:
            made = make_key(self.api, allBoards=True, defaultProjectId=self.project["id"])
            self.ids.update(key=made["key"], key_id=made["id"], spare_key=make_key(self.api, "spare")["id"])
            missing |= {"webhook"}
        ext = KeyClient(self.api.client, self.ids["key"])
        if "board" in missing:
            self.ids["board"] = ext.post(f"{EXT}/boards", {"name": "Fuzz"}, expect=201)["data"]["id"]
            missing |= {"lane", "task"}
        board = f"{EXT}/boards/{self.ids['board']}"
        if "lane" in missing:
            self.ids["lane"] = ext.post(f"{board}/lanes", {"name": "Spare"}, expect=201)["data"]["id"]
        if "task" in missing:
            self.ids["task"] = ext.post(f"{board}/tasks", {"title": "Fuzz me"}, expect=201)["data"]["id"]
            missing |= {"comment", "todo"}
        task = f"{board}/tasks/{self.ids['task']}"
        if "comment" in missing:
            self.ids["comment"] = ext.post(f"{task}/comments", {"body": "hi"}, expect=201)["data"]["id"]
        if "todo" in missing:
            self.ids["todo"] = ext.post(f"{task}/todos", {"text": "do"}, expect=201)["data"]["id"]
        if "webhook" in missing:
            self.ids["webhook"] = ext.post(f"{EXT}/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["*"]},
                                           expect=201)["data"]["id"]

    def prepare(self, case: schemathesis.Case) -> None:
        names = {"boardId": "board", "laneId": "lane", "taskId": "task", "commentId": "comment", "todoId": "todo",
                 "id": "spare_key" if case.path.startswith("/api/api-keys") else "webhook"}
        for name, value in list(case.path_parameters.items()):
            if isinstance(value, str) and name in names:
                case.path_parameters[name] = self.ids[names[name]]
        if isinstance(case.body, dict) and isinstance(case.body.get("laneId"), str):
            case.body["laneId"] = self.ids["lane"]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {self.ids['key']}"}


@pytest.fixture
def world(api: Api, app: Any, project: dict[str, Any]) -> World:
    built = World(api, app, project)
    built.ensure()
    return built


@pytest.fixture
def key_schema(request: pytest.FixtureRequest, app: Any, world: World) -> Iterator[schemathesis.BaseSchema]:
    if not hasattr(request.node, "_nodeid"):  # see tests/test_openapi.py's api_schema
        request.node._nodeid = request.node.nodeid
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)


key_apis = schemathesis.pytest.from_fixture("key_schema").include(path_regex=KEY_APIS)


@FUZZ_SETTINGS
@key_apis.parametrize()
def test_no_server_error_with_a_key(case: schemathesis.Case, world: World) -> None:
    world.ensure()
    world.prepare(case)
    case.call_and_validate(checks=[not_a_server_error])


def test_the_fuzzed_world_is_real(world: World) -> None:
    """The ids the fuzzing uses name live rows (so it reaches the code behind the 404s)."""
    with world.app.extensions["switchyard"].transaction() as db:
        assert db.scalar(select(Card.board_id).where(Card.id == world.ids["task"])) == world.ids["board"]
