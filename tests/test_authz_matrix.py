"""Who may read and change a project, with auth on: one table of actors against endpoints.

A project a user may not see answers 404, never 403, so project ids do not leak; a project the
user sees but may not change answers 403. Every refused write leaves the project as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Board, Card, Column, Organization, OrgMember, Project, ProjectMember, User
from tests.conftest import Api

pytestmark = pytest.mark.http_sweep  # see pyproject.toml: SQLite pass only in .ci/run

OK = "2xx"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {p} project, {c} card, {b} board, {col} another column of the board
    body: dict[str, Any] | None = None
    kind: str = "read"  # read | write | delete | personal (a viewer's own marks: allowed like a read)


ENDPOINTS = {
    "GET project": Endpoint("GET", "/api/projects/{p}"),
    "GET cards": Endpoint("GET", "/api/projects/{p}/cards"),
    "GET columns": Endpoint("GET", "/api/projects/{p}/columns"),
    "GET boards": Endpoint("GET", "/api/projects/{p}/boards"),
    "GET files": Endpoint("GET", "/api/projects/{p}/files"),
    "GET pipeline": Endpoint("GET", "/api/projects/{p}/cards/{c}/pipeline"),
    "PATCH project": Endpoint("PATCH", "/api/projects/{p}", {"description": "changed"}, "write"),
    "POST card": Endpoint("POST", "/api/projects/{p}/cards", {"title": "Another card"}, "write"),
    "PATCH card": Endpoint("PATCH", "/api/projects/{p}/cards/{c}", {"title": "Renamed"}, "write"),
    "move card": Endpoint("PATCH", "/api/projects/{p}/cards/{c}/move", {"columnId": "{col}"}, "write"),
    "POST column": Endpoint("POST", "/api/projects/{p}/columns",
                            {"name": "QA", "columnType": "backlog", "boardId": "{b}"}, "write"),
    "POST board": Endpoint("POST", "/api/projects/{p}/boards", {"name": "Second board"}, "write"),
    "DELETE project": Endpoint("DELETE", "/api/projects/{p}", kind="delete"),
    # People and per-person state (issue 6): members are managed by the owner alone.
    "GET members": Endpoint("GET", "/api/projects/{p}/members"),
    "GET export": Endpoint("GET", "/api/projects/{p}/export"),
    "GET panel states": Endpoint("GET", "/api/projects/{p}/panel-states"),
    "view card": Endpoint("POST", "/api/projects/{p}/cards/{c}/view", kind="personal"),
    "mark all read": Endpoint("POST", "/api/projects/{p}/mark-all-read", kind="personal"),
    "last opened": Endpoint("PATCH", "/api/projects/{p}/last-opened", kind="personal"),
    "PUT panel states": Endpoint("PUT", "/api/projects/{p}/panel-states", {"{c}": {"tab": "diff"}}, "personal"),
    "clean column": Endpoint("POST", "/api/projects/{p}/columns/{col}/clean-all", kind="write"),
    "POST member": Endpoint("POST", "/api/projects/{p}/members", {"email": "new@example.com"}, "delete"),
    "GET attachments": Endpoint("GET", "/api/projects/{p}/cards/{c}/attachments"),
}

# The matrix: each actor's answer to the six reads, the six writes, and deleting the project.
EXPECTED = {
    #  actor         reads writes delete
    "anonymous":   (401, 401, 401),
    "user":        (404, 404, 404),  # registered, not a member: the project does not exist for them
    "viewer":      (OK,  403, 403),
    "editor":      (OK,  OK,  403),  # only the owner deletes
    "owner":       (OK,  OK,  OK),
    "admin":       (404, 404, 404),  # admins manage users and settings, not others' projects
    "super_admin": (OK,  OK,  OK),
    "org_admin":   (OK,  OK,  403),  # an organization's admins edit its projects
    "org_member":  (OK,  403, 403),  # and its members read them
}
KIND_INDEX = {"read": 0, "write": 1, "delete": 2, "personal": 0}
CASES = [
    pytest.param(actor, name, statuses[KIND_INDEX[ENDPOINTS[name].kind]], id=f"{actor}-{name}")
    for actor, statuses in EXPECTED.items()
    for name in ENDPOINTS
]


@dataclass
class World:
    """A project owned by a plain user, with one card; auth on.

    Users are added straight to the database and given tokens by the app's own keyring: the sign-up
    routes are tested in test_auth.py, and hashing a password per actor would make this table of
    over a hundred cases slow.
    """

    app: Any
    client: FlaskClient
    root_token: str
    owner_token: str
    project_id: str
    card_id: str
    board_id: str
    other_column_id: str
    last_body: Any = None  # the JSON of the last answer, for failure messages

    def transaction(self) -> Any:
        return self.app.extensions["switchyard"].transaction()

    def token_for(self, actor: str) -> str | None:
        """Make the actor (and its tie to the project) and return its token."""
        if actor == "anonymous":
            return None
        if actor == "owner":
            return self.owner_token
        if actor == "super_admin":
            return self.root_token
        token, user_id = make_user(self.app, f"{actor}@example.com", "admin" if actor == "admin" else "user")
        with self.transaction() as session:
            if actor in ("viewer", "editor"):
                session.add(ProjectMember(project_id=self.project_id, user_id=user_id, role=actor))
            if actor in ("org_admin", "org_member"):
                org = Organization(name="Acme")
                session.add(org)
                session.flush()
                session.add(OrgMember(org_id=org.id, user_id=user_id, role=actor.removeprefix("org_")))
                session.get(Project, self.project_id).organization_id = org.id
        return token

    def call(self, endpoint: Endpoint, token: str | None) -> int:
        values = {"{p}": self.project_id, "{c}": self.card_id, "{b}": self.board_id, "{col}": self.other_column_id}
        path = endpoint.path
        for key, value in values.items():
            path = path.replace(key, value)
        body = ({values.get(k, k): values.get(v, v) if isinstance(v, str) else v for k, v in endpoint.body.items()}
                if endpoint.body else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=endpoint.method, json=body, headers=headers)
        if response.status_code >= 500:
            pytest.fail(f"{endpoint.method} {path}: {response.status_code} {response.get_data(as_text=True)}")
        self.last_body = response.get_json(silent=True)
        return response.status_code

    def snapshot(self) -> tuple[Any, ...]:
        """What any of the writes would change."""
        with self.app.extensions["switchyard"].sessions() as session:
            project = session.get(Project, self.project_id)
            card = session.get(Card, self.card_id)

            def count(model: Any) -> int:
                return session.scalar(select(func.count()).select_from(model).where(model.project_id == self.project_id))

            return (project and project.description, card and (card.title, card.column_id),
                    count(Card), count(Column), count(Board))


def make_user(app: Any, email: str, role: str) -> tuple[str, str]:
    """A user row and a login token for it: (token, user id)."""
    runtime = app.extensions["switchyard"]
    with runtime.transaction() as session:
        user = User(email=email, display_name=email.split("@")[0], role=role)
        session.add(user)
        session.flush()
        user_id = user.id
    return runtime.keyring.issue_token(user_id, timedelta(hours=1)), user_id


@pytest.fixture
def world(app: Any, client: FlaskClient, api: Api, repo: Path) -> World:
    root_token, _ = make_user(app, "root@example.com", "super_admin")
    api.as_user(root_token).put("/api/settings/auth", {"enabled": True})
    owner_token, _ = make_user(app, "owner@example.com", "user")
    owner = api.as_user(owner_token)
    project = owner.post("/api/projects", {"name": "Owned", "path": str(repo)}, expect=201)
    card = owner.post(f"/api/projects/{project['id']}/cards", {"title": "First card"}, expect=201)
    columns = owner.get(f"/api/projects/{project['id']}/columns")
    other = next(c for c in columns if c["id"] != card["columnId"])
    return World(app, client, root_token, owner_token, project["id"], card["id"], card["boardId"], other["id"])


@pytest.mark.parametrize(("actor", "endpoint", "expected"), CASES)
def test_authorisation_matrix(world: World, actor: str, endpoint: str, expected: int | str) -> None:
    token = world.token_for(actor)
    before = world.snapshot()

    status = world.call(ENDPOINTS[endpoint], token)

    if expected == OK:
        assert 200 <= status < 300, f"{actor} {endpoint}: expected success, got {status}: {world.last_body}"
    else:
        assert status == expected, f"{actor} {endpoint}: expected {expected}, got {status}: {world.last_body}"
        assert world.snapshot() == before, f"{actor} {endpoint}: a refused request changed the project"
    if expected == 404:
        assert world.last_body["error"]["code"] == "not_found"


def test_a_write_allowed_to_an_editor_really_happens(world: World) -> None:
    token = world.token_for("editor")
    before = world.snapshot()
    assert world.call(ENDPOINTS["PATCH card"], token) == 200
    assert world.snapshot() != before


def test_viewer_is_told_why_a_write_is_refused(world: World) -> None:
    token = world.token_for("viewer")
    assert world.call(ENDPOINTS["PATCH project"], token) == 403
    error = world.last_body["error"]
    assert error["code"] == "forbidden"
    assert "editor" in error["message"]


def test_unknown_and_invisible_projects_answer_alike(world: World) -> None:
    """A non-member cannot tell a project that exists from one that does not."""
    token = world.token_for("user")
    assert world.call(Endpoint("GET", "/api/projects/{p}"), token) == 404
    hidden = world.last_body["error"]
    assert world.call(Endpoint("GET", "/api/projects/proj_doesnotexist"), token) == 404
    missing = world.last_body["error"]
    assert hidden["code"] == missing["code"] == "not_found"
    assert hidden["message"].replace(world.project_id, "X") == missing["message"].replace("proj_doesnotexist", "X")


# Listing projects ------------------------------------------------------------------------------


def listed(client: FlaskClient, token: str) -> set[str]:
    response = client.get("/api/projects", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {p["name"] for p in response.get_json()["data"]}


def test_project_list_shows_each_user_only_what_they_may_see(
    world: World, api: Api, make_repo: Callable[..., Path]
) -> None:
    viewer = world.token_for("viewer")
    org_member = world.token_for("org_member")  # puts "Owned" into an organization
    stranger = world.token_for("user")
    admin = world.token_for("admin")
    stranger_project = api.as_user(stranger).post(
        "/api/projects", {"name": "Stranger's", "path": str(make_repo("other"))}, expect=201
    )

    assert listed(world.client, world.owner_token) == {"Owned"}
    assert listed(world.client, viewer) == {"Owned"}
    assert listed(world.client, org_member) == {"Owned"}
    assert listed(world.client, stranger) == {"Stranger's"}
    assert listed(world.client, admin) == set()
    assert listed(world.client, world.root_token) == {"Owned", "Stranger's"}
    assert stranger_project["role"] == "owner"


def test_project_list_reports_each_users_role(world: World) -> None:
    viewer = world.token_for("viewer")
    response = world.client.get("/api/projects", headers={"Authorization": f"Bearer {viewer}"})
    assert [p["role"] for p in response.get_json()["data"]] == ["viewer"]


def test_project_list_needs_a_token(world: World) -> None:
    assert world.client.get("/api/projects").status_code == 401


# Instance-wide routes (issue 6): admins manage users, organizations and settings ---------------

INSTANCE_ENDPOINTS = {
    "list users": Endpoint("GET", "/api/admin/users"),
    "create user": Endpoint("POST", "/api/admin/users", {"email": "made@example.com", "name": "Made", "role": "user"}),
    "create organization": Endpoint("POST", "/api/organizations", {"name": "Team"}),
    "PUT notifications": Endpoint("PUT", "/api/settings/notifications", {"sound": True}),
    "PUT context relay": Endpoint("PUT", "/api/settings/context-relay", {"mode": "none"}),
    "PUT shortcuts": Endpoint("PUT", "/api/settings/keyboard-shortcuts", {"newCard": "n"}),
    "GET notifications": Endpoint("GET", "/api/settings/notifications", kind="personal"),
    "GET user settings": Endpoint("GET", "/api/user/settings", kind="personal"),
    "PUT user settings": Endpoint("PUT", "/api/user/settings", {"theme": "light"}, "personal"),
    "search users": Endpoint("GET", "/api/users/search?q=owner", kind="personal"),
    "list organizations": Endpoint("GET", "/api/organizations", kind="personal"),
}
INSTANCE_EXPECTED = {  # actor: (admin-only routes, routes for everyone signed in)
    "anonymous": (401, 401),
    "user": (403, OK),
    "admin": (OK, OK),
    "super_admin": (OK, OK),
}


@pytest.mark.parametrize(("actor", "endpoint", "expected"), [
    pytest.param(actor, name, statuses[INSTANCE_ENDPOINTS[name].kind == "personal"], id=f"{actor}-{name}")
    for actor, statuses in INSTANCE_EXPECTED.items() for name in INSTANCE_ENDPOINTS
])
def test_instance_authorisation_matrix(world: World, actor: str, endpoint: str, expected: int | str) -> None:
    status = world.call(INSTANCE_ENDPOINTS[endpoint], world.token_for(actor))
    if expected == OK:
        assert 200 <= status < 300, f"{actor} {endpoint}: expected success, got {status}: {world.last_body}"
    else:
        assert status == expected, f"{actor} {endpoint}: expected {expected}, got {status}: {world.last_body}"


# Operations (issue 6): the super_admin alone configures OIDC, makes and downloads backups and
# exports logs and data; admins read the log; anyone signed in browses directory names.

ALLOWED = "allowed"  # past authorisation: any answer but 401 or 403 (a backup on PostgreSQL is 501)
OPS_ENDPOINTS = {
    "GET logs": Endpoint("GET", "/api/logs", kind="admin"),
    "GET log export": Endpoint("GET", "/api/settings/log-export", kind="super"),
    "PUT log export": Endpoint("PUT", "/api/settings/log-export", {"enabled": False}, "super"),
    "test log export": Endpoint("POST", "/api/settings/log-export/test", kind="super"),
    "POST backup": Endpoint("POST", "/api/backups", kind="super"),
    "GET backups": Endpoint("GET", "/api/backups", kind="super"),
    "GET backup": Endpoint("GET", "/api/backups/switchyard-20300101-000000-000000.db", kind="super"),
    "POST export": Endpoint("POST", "/api/export", kind="super"),
    "GET oidc": Endpoint("GET", "/api/settings/oidc", kind="super"),
    "POST oidc": Endpoint("POST", "/api/settings/oidc",
                          {"issuerUrl": "https://idp.example.com", "clientId": "c", "clientSecret": "s"}, "super"),
    "DELETE oidc": Endpoint("DELETE", "/api/settings/oidc", kind="super"),
    "test oidc": Endpoint("POST", "/api/oidc/test", kind="super"),
    "browse": Endpoint("GET", "/api/filesystem/browse", kind="signed_in"),
}
OPS_EXPECTED = {  # actor: (super_admin routes, admin routes, routes for anyone signed in)
    "anonymous": (401, 401, 401),
    "user": (403, 403, ALLOWED),
    "admin": (403, ALLOWED, ALLOWED),
    "super_admin": (ALLOWED, ALLOWED, ALLOWED),
}
OPS_KIND = {"super": 0, "admin": 1, "signed_in": 2}


@pytest.mark.parametrize(("actor", "endpoint", "expected"), [
    pytest.param(actor, name, statuses[OPS_KIND[OPS_ENDPOINTS[name].kind]], id=f"{actor}-{name}")
    for actor, statuses in OPS_EXPECTED.items() for name in OPS_ENDPOINTS
])
def test_operations_authorisation_matrix(world: World, actor: str, endpoint: str, expected: int | str) -> None:
    route, token = OPS_ENDPOINTS[endpoint], world.token_for(actor)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # Not world.call: its "no 5xx" rule does not fit 501, a backup's answer on PostgreSQL.
    response = world.client.open(route.path, method=route.method, json=route.body, headers=headers)
    status, body = response.status_code, response.get_data(as_text=True)
    assert status != 500, body
    if expected == ALLOWED:
        assert status not in (401, 403), f"{actor} {endpoint}: refused with {status}: {body}"
    else:
        assert status == expected, f"{actor} {endpoint}: expected {expected}, got {status}: {body}"
