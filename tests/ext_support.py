"""Helpers for the tests of the `ak_` key APIs: making keys, and calling with them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import Api

EXT = "/api/ext/v1"


def make_key(api: Api, name: str = "ci", **scope: Any) -> dict[str, Any]:
    """A key through POST /api/api-keys; the answer includes its secret (`key`)."""
    return api.post("/api/api-keys", {"name": name, **scope}, expect=201)


@dataclass
class KeyClient:
    """Calls an API with `Authorization: Bearer <key>` and checks the status; returns the JSON."""

    client: FlaskClient
    key: str | None

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if self.key is not None:
            headers["Authorization"] = f"Bearer {self.key}"
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: expected {expect}, got {response.status_code}: {response.get_data(as_text=True)}")
        if response.status_code == 204:
            assert response.get_data() == b""
            return None
        return response.get_json()

    def get(self, path: str, expect: int = 200, **kw: Any) -> Any:
        return self.call("GET", path, expect, **kw)

    def post(self, path: str, json: Any = None, expect: int = 200, **kw: Any) -> Any:
        return self.call("POST", path, expect, json=json, **kw)

    def patch(self, path: str, json: Any = None, expect: int = 200, **kw: Any) -> Any:
        return self.call("PATCH", path, expect, json=json, **kw)

    def delete(self, path: str, expect: int = 204, **kw: Any) -> Any:
        return self.call("DELETE", path, expect, **kw)

    def error(self, method: str, path: str, expect: int, json: Any = None) -> str:
        """The `error.code` of a refused /api/ext/v1 call, after checking the whole shape."""
        body = self.call(method, path, expect, **({"json": json} if json is not None else {}))
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert body["error"]["message"], body
        return str(body["error"]["code"])


def lanes_by_name(ext: KeyClient, board_id: str) -> dict[str, dict[str, Any]]:
    return {lane["name"]: lane for lane in ext.get(f"{EXT}/boards/{board_id}/lanes")["data"]}


def first_board(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.get(f"/api/projects/{project['id']}/boards")[0]
