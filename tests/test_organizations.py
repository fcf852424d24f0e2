"""Organizations, their members and default credential, and the X-Organization-Id header."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, Users


@pytest.fixture
def root(api: Api, users: Users) -> Api:
    token = users.setup_admin()
    users.enable_auth(token)
    return api.as_user(token)


@pytest.fixture
def team(root: Api) -> dict[str, Any]:
    return root.post("/api/organizations", {"name": "My Team"}, expect=201)


def person(root: Api, users: Users, email: str, role: str = "user") -> tuple[Api, str]:
    token, user_id = users.register(email, role=role)
    return root.as_user(token), user_id


def join(root: Api, org: dict[str, Any], email: str, role: str = "member") -> dict[str, Any]:
    return root.post(f"/api/organizations/{org['id']}/members", {"email": email, "role": role}, expect=201)


def error(data: Any) -> dict[str, Any]:
    return data["error"]


# The organization ------------------------------------------------------------------------------


def test_create_answers_the_organization_and_makes_its_creator_admin(root: Api, team: dict[str, Any]) -> None:
    assert team["id"].startswith("org_") and team["name"] == "My Team"
    assert team["role"] == "admin"
    me = root.get("/api/auth/me")
    assert root.get(f"/api/organizations/{team['id']}/members") == [
        {"userId": me["id"], "email": me["email"], "displayName": me["displayName"], "role": "admin",
         "joinedAt": root.get(f"/api/organizations/{team['id']}/members")[0]["joinedAt"]}]


def test_only_admins_create_organizations(root: Api, users: Users) -> None:
    dev, _ = person(root, users, "dev@example.com")
    assert error(dev.post("/api/organizations", {"name": "Mine"}, expect=403))["code"] == "forbidden"
    admin, _ = person(root, users, "admin@example.com", role="admin")
    assert admin.post("/api/organizations", {"name": "Admins'"}, expect=201)["role"] == "admin"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 201}, {"name": 5}])
def test_create_with_a_bad_name_is_400(root: Api, body: dict[str, Any]) -> None:
    assert "name" in error(root.post("/api/organizations", body, expect=400))["message"]


def test_list_shows_a_user_their_organizations_and_an_admin_all(root: Api, users: Users,
                                                                team: dict[str, Any]) -> None:
    root.post("/api/organizations", {"name": "Other Team"}, expect=201)
    dev, _ = person(root, users, "dev@example.com")
    assert dev.get("/api/organizations") == []
    join(root, team, "dev@example.com")
    assert [(o["name"], o["role"]) for o in dev.get("/api/organizations")] == [("My Team", "member")]
    admin, _ = person(root, users, "admin@example.com", role="admin")
    assert [(o["name"], o["role"]) for o in admin.get("/api/organizations")] == [("My Team", None),
                                                                                ("Other Team", None)]


def test_an_outsider_cannot_tell_an_organization_exists(root: Api, users: Users, team: dict[str, Any]) -> None:
    dev, _ = person(root, users, "dev@example.com")
    hidden = error(dev.get(f"/api/organizations/{team['id']}", expect=404))
    missing = error(root.get("/api/organizations/org_nope", expect=404))
    assert hidden["code"] == missing["code"] == "not_found"
    dev.patch(f"/api/organizations/{team['id']}", {"name": "Mine now"}, expect=404)
    dev.get(f"/api/organizations/{team['id']}/members", expect=404)


def test_org_admins_rename_and_members_may_not(root: Api, users: Users, team: dict[str, Any]) -> None:
    boss, _ = person(root, users, "boss@example.com")
    worker, _ = person(root, users, "worker@example.com")
    join(root, team, "boss@example.com", "admin")
    join(root, team, "worker@example.com")

    assert boss.patch(f"/api/organizations/{team['id']}", {"name": "Renamed Team"})["name"] == "Renamed Team"
    assert "admin" in error(worker.patch(f"/api/organizations/{team['id']}", {"name": "No"}, expect=403))["message"]
    assert worker.get(f"/api/organizations/{team['id']}")["name"] == "Renamed Team"


def test_delete_refuses_an_organization_with_projects(root: Api, team: dict[str, Any], repo: Path) -> None:
    project = root.post("/api/projects", {"name": "App", "path": str(repo), "organizationId": team["id"]},
                        expect=201)
    problem = error(root.delete(f"/api/organizations/{team['id']}", expect=409))
    assert problem["code"] == "organization_has_projects"
    root.delete(f"/api/projects/{project['id']}")
    root.delete(f"/api/organizations/{team['id']}")
    root.get(f"/api/organizations/{team['id']}", expect=404)


def test_members_may_not_delete_the_organization(root: Api, users: Users, team: dict[str, Any]) -> None:
    worker, _ = person(root, users, "worker@example.com")
    join(root, team, "worker@example.com")
    worker.delete(f"/api/organizations/{team['id']}", expect=403)
    root.delete("/api/organizations/org_nope", expect=404)


# Members ---------------------------------------------------------------------------------------


def test_add_member_by_email_defaults_to_member(root: Api, users: Users, team: dict[str, Any]) -> None:
    _, user_id = person(root, users, "dev@example.com")
    added = root.post(f"/api/organizations/{team['id']}/members", {"email": "DEV@example.com"}, expect=201)
    assert (added["userId"], added["email"], added["role"]) == (user_id, "dev@example.com", "member")
    assert [m["email"] for m in root.get(f"/api/organizations/{team['id']}/members")] == [
        "root@example.com", "dev@example.com"]


def test_add_member_errors(root: Api, users: Users, team: dict[str, Any]) -> None:
    person(root, users, "dev@example.com")
    url = f"/api/organizations/{team['id']}/members"
    assert error(root.post(url, {"email": "nobody@example.com"}, expect=404))["code"] == "user_not_found"
    assert "role" in error(root.post(url, {"email": "dev@example.com", "role": "owner"}, expect=400))["message"]
    assert "email" in error(root.post(url, {"role": "member"}, expect=400))["message"]
    join(root, team, "dev@example.com")
    assert error(root.post(url, {"email": "dev@example.com"}, expect=409))["code"] == "already_member"
    root.post("/api/organizations/org_nope/members", {"email": "dev@example.com"}, expect=404)


def test_change_a_members_role(root: Api, users: Users, team: dict[str, Any]) -> None:
    _, user_id = person(root, users, "dev@example.com")
    join(root, team, "dev@example.com")
    url = f"/api/organizations/{team['id']}/members/{user_id}"
    assert root.patch(url, {"role": "admin"})["role"] == "admin"
    assert "role" in error(root.patch(url, {"role": "boss"}, expect=400))["message"]
    root.patch(f"/api/organizations/{team['id']}/members/user_nope", {"role": "admin"}, expect=404)


def test_the_last_org_admin_stays(root: Api, team: dict[str, Any]) -> None:
    me = root.get("/api/auth/me")["id"]
    url = f"/api/organizations/{team['id']}/members/{me}"
    assert error(root.patch(url, {"role": "member"}, expect=409))["code"] == "last_org_admin"
    assert error(root.delete(url, expect=409))["code"] == "last_org_admin"


def test_remove_members_and_leave(root: Api, users: Users, team: dict[str, Any]) -> None:
    worker, worker_id = person(root, users, "worker@example.com")
    _, peer_id = person(root, users, "peer@example.com")
    join(root, team, "worker@example.com")
    join(root, team, "peer@example.com")

    assert error(worker.delete(f"/api/organizations/{team['id']}/members/{peer_id}", expect=403))["code"] == "forbidden"
    worker.delete(f"/api/organizations/{team['id']}/members/{worker_id}")  # leaving is always allowed
    root.delete(f"/api/organizations/{team['id']}/members/{peer_id}")
    assert [m["email"] for m in root.get(f"/api/organizations/{team['id']}/members")] == ["root@example.com"]
    root.delete(f"/api/organizations/{team['id']}/members/{peer_id}", expect=404)
    worker.get(f"/api/organizations/{team['id']}", expect=404)


# What membership means for projects ------------------------------------------------------------


def test_org_admins_edit_and_members_read_its_projects(root: Api, users: Users, team: dict[str, Any],
                                                      repo: Path) -> None:
    boss, _ = person(root, users, "boss@example.com")
    worker, _ = person(root, users, "worker@example.com")
    join(root, team, "boss@example.com", "admin")
    join(root, team, "worker@example.com")
    project = root.post("/api/projects", {"name": "App", "path": str(repo), "organizationId": team["id"]},
                        expect=201)

    assert boss.get(f"/api/projects/{project['id']}")["role"] == "editor"
    assert worker.get(f"/api/projects/{project['id']}")["role"] == "viewer"
    worker.patch(f"/api/projects/{project['id']}", {"description": "no"}, expect=403)
    boss.patch(f"/api/projects/{project['id']}", {"description": "yes"})


def test_the_organization_header_files_and_filters_projects(root: Api, team: dict[str, Any],
                                                           make_repo: Callable[..., Path]) -> None:
    header = {"X-Organization-Id": team["id"]}
    inside = root.post("/api/projects", {"name": "Inside", "path": str(make_repo("a"))}, expect=201, headers=header)
    root.post("/api/projects", {"name": "Outside", "path": str(make_repo("b"))}, expect=201)

    assert inside["organizationId"] == team["id"]
    assert [p["name"] for p in root.get("/api/projects", headers={"X-Organization-Id": team["id"]})] == ["Inside"]
    assert [p["name"] for p in root.get(f"/api/projects?organizationId={team['id']}")] == ["Inside"]
    assert {p["name"] for p in root.get("/api/projects")} == {"Inside", "Outside"}
    problem = error(root.post("/api/projects", {"name": "Lost", "path": str(make_repo("c"))}, expect=404,
                              headers={"X-Organization-Id": "org_nope"}))
    assert "org_nope" in problem["message"]


# Default credential ----------------------------------------------------------------------------


def test_default_credential_is_set_and_cleared(root: Api, users: Users, team: dict[str, Any]) -> None:
    credential = root.post("/api/credentials", {"name": "Team key", "provider": "anthropic", "apiKey": "sk-ant-123456"},
                           expect=201)
    url = f"/api/organizations/{team['id']}/default-credential"
    assert root.put(url, {"credentialId": credential["id"]})["defaultCredentialId"] == credential["id"]
    assert root.get(f"/api/organizations/{team['id']}")["defaultCredentialId"] == credential["id"]
    assert root.put(url, {"credentialId": None})["defaultCredentialId"] is None

    root.put(url, {"credentialId": "cred_nope"}, expect=404)
    assert "credentialId" in error(root.put(url, {}, expect=400))["message"]
    worker, _ = person(root, users, "worker@example.com")
    join(root, team, "worker@example.com")
    worker.put(url, {"credentialId": credential["id"]}, expect=403)
    assert "sk-ant-123456" not in str(root.get(f"/api/organizations/{team['id']}"))
