"""Request guards with auth off: only this machine may call (DNS rebinding), no foreign pages (CSRF)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Project
from orchestrator import runtime_settings
from tests.conftest import Api, Users

EVIL = "http://evil.example"


def project_count(app: Any) -> int:
    with app.extensions["switchyard"].sessions() as session:
        return session.scalar(select(func.count()).select_from(Project))


# DNS rebinding: the Host header -----------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:37100", "192.168.1.20:37100", "localhost.evil.example",
                                  "127.0.0.1.evil.example", "127.evil.example:37100"])
def test_foreign_host_is_refused_with_auth_off(client: FlaskClient, host: str) -> None:
    response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "invalid_host"
    assert "localhost" in error["message"]


def test_foreign_host_cannot_write_either(app: Any, client: FlaskClient, repo: Path) -> None:
    response = client.post("/api/projects", json={"name": "X", "path": str(repo)}, headers={"Host": "evil.example"})
    assert response.status_code == 403
    assert project_count(app) == 0


@pytest.mark.parametrize("host", ["localhost", "localhost:37100", "127.0.0.1", "127.0.0.1:37100", "127.0.0.2:37100",
                                  "[::1]:37100"])
def test_loopback_hosts_pass(client: FlaskClient, host: str) -> None:
    response = client.get("/api/health", headers={"Host": host})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert runtime_settings.is_loopback(host) is loopback


def test_with_auth_on_any_host_may_call(client: FlaskClient, users: Users) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    response = client.get("/api/projects", headers={"Host": "switchyard.example.com",
                                                    "Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)


# CSRF: the Origin header on state-changing requests ---------------------------------------------


@pytest.mark.parametrize("origin", [EVIL, "http://localhost:5173", "https://localhost", "null"])
def test_post_from_a_foreign_origin_is_refused(app: Any, client: FlaskClient, repo: Path, origin: str) -> None:
    response = client.post("/api/projects", json={"name": "X", "path": str(repo)}, headers={"Origin": origin})
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "origin_mismatch"
    assert project_count(app) == 0


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_writes_from_a_foreign_origin_are_refused(api: Api, client: FlaskClient, project: dict[str, Any],
                                                        method: str) -> None:
    response = client.open(f"/api/projects/{project['id']}", method=method, json={"name": "Renamed"},
                           headers={"Origin": EVIL})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin_mismatch"
    assert api.get(f"/api/projects/{project['id']}")["name"] == "Demo"


@pytest.mark.parametrize("origin", ["http://localhost", "http://localhost:80", "HTTP://LOCALHOST"])
def test_post_from_the_same_origin_passes(api: Api, repo: Path, origin: str) -> None:
    created = api.post("/api/projects", {"name": "Mine", "path": str(repo)}, expect=201, headers={"Origin": origin})
    assert created["name"] == "Mine"


def test_same_origin_on_another_port_passes(api: Api, repo: Path) -> None:
    api.post("/api/projects", {"name": "Mine", "path": str(repo)}, expect=201,
             headers={"Host": "127.0.0.1:37100", "Origin": "http://127.0.0.1:37100"})


def test_post_without_an_origin_passes(api: Api, repo: Path) -> None:
    api.post("/api/projects", {"name": "From curl", "path": str(repo)}, expect=201)


def test_get_with_a_foreign_origin_passes(api: Api, project: dict[str, Any]) -> None:
    assert api.get("/api/health", headers={"Origin": EVIL}) == {"status": "ok"}
    assert api.get(f"/api/projects/{project['id']}", headers={"Origin": EVIL})["name"] == "Demo"


def test_websocket_upgrade_from_a_foreign_origin_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade", "Origin": EVIL})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin_mismatch"


def test_foreign_origin_is_refused_with_auth_on_too(client: FlaskClient, users: Users, repo: Path) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    response = client.post("/api/projects", json={"name": "X", "path": str(repo)},
                           headers={"Origin": EVIL, "Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "origin_mismatch"
