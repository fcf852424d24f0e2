"""Project Members and invitations: add by email, invite, accept by signing up, change, remove."""

from __future__ import annotations

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
def owner(root: Api, users: Users) -> tuple[Api, str]:
    token, user_id = users.register("owner@example.com")
    return root.as_user(token), user_id


@pytest.fixture
def shared(owner: tuple[Api, str], repo: Path) -> dict[str, Any]:
    """A project owned by a plain user."""
    return owner[0].post("/api/projects", {"name": "Shared", "path": str(repo)}, expect=201)


def members_url(project: dict[str, Any]) -> str:
    return f"/api/projects/{project['id']}/members"


def error(data: Any) -> dict[str, Any]:
    return data["error"]


def test_the_list_starts_with_the_owner(owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    api, owner_id = owner
    assert api.get(members_url(shared)) == [{"userId": owner_id, "email": "owner@example.com",
                                             "displayName": "owner", "role": "owner", "status": "active"}]


def test_adding_a_registered_user_makes_them_a_member(root: Api, users: Users, owner: tuple[Api, str],
                                                      shared: dict[str, Any]) -> None:
    token, user_id = users.register("dev@example.com")
    added = owner[0].post(members_url(shared), {"email": "Dev@Example.com", "role": "editor"}, expect=201)
    assert added == {"userId": user_id, "email": "dev@example.com", "displayName": "dev", "role": "editor",
                     "status": "active"}
    dev = root.as_user(token)
    assert dev.get(f"/api/projects/{shared['id']}")["role"] == "editor"
    dev.post(f"/api/projects/{shared['id']}/cards", {"title": "By a member"}, expect=201)


def test_the_default_role_is_viewer(root: Api, users: Users, owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    token, _ = users.register("dev@example.com")
    assert owner[0].post(members_url(shared), {"email": "dev@example.com"}, expect=201)["role"] == "viewer"
    root.as_user(token).post(f"/api/projects/{shared['id']}/cards", {"title": "No"}, expect=403)


def test_an_unknown_email_becomes_a_pending_invitation(owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    invited = owner[0].post(members_url(shared), {"email": "new@example.com", "role": "editor"}, expect=201)
    assert invited == {"userId": None, "email": "new@example.com", "displayName": None, "role": "editor",
                       "status": "pending"}
    assert [(p["email"], p["status"]) for p in owner[0].get(members_url(shared))] == [
        ("owner@example.com", "active"), ("new@example.com", "pending")]


def test_signing_up_with_an_invited_email_accepts_the_invitation(api: Api, owner: tuple[Api, str],
                                                                shared: dict[str, Any]) -> None:
    owner[0].post(members_url(shared), {"email": "new@example.com", "role": "editor"}, expect=201)
    data = api.as_user(None).post("/api/auth/register", {"email": "NEW@example.com", "password": "correct-horse-1"},
                                  expect=201)
    newcomer = api.as_user(data["token"])
    assert newcomer.get(f"/api/projects/{shared['id']}")["role"] == "editor"
    people = owner[0].get(members_url(shared))
    assert [(p["email"], p["role"], p["status"]) for p in people] == [
        ("owner@example.com", "owner", "active"), ("new@example.com", "editor", "active")]


def test_an_account_made_by_an_admin_accepts_invitations_too(root: Api, api: Api, owner: tuple[Api, str],
                                                            shared: dict[str, Any]) -> None:
    owner[0].post(members_url(shared), {"email": "hire@example.com"}, expect=201)
    made = root.post("/api/admin/users", {"email": "hire@example.com", "name": "Hire", "role": "user"}, expect=201)
    assert made["user"]["id"] in {p["userId"] for p in owner[0].get(members_url(shared))}


def test_adding_twice_is_409(users: Users, owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    users.register("dev@example.com")
    owner[0].post(members_url(shared), {"email": "dev@example.com"}, expect=201)
    assert error(owner[0].post(members_url(shared), {"email": "dev@example.com"}, expect=409))["code"] == "already_member"
    assert error(owner[0].post(members_url(shared), {"email": "owner@example.com"}, expect=409))["code"] == "already_member"
    owner[0].post(members_url(shared), {"email": "later@example.com"}, expect=201)
    assert error(owner[0].post(members_url(shared), {"email": "LATER@example.com"}, expect=409))["code"] == "already_invited"


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "x@example.com", "role": "owner"}, "role"),
    ({"email": "nope"}, "email"),
    ({"role": "viewer"}, "email"),
])
def test_bad_input_is_400_naming_the_field(owner: tuple[Api, str], shared: dict[str, Any],
                                           body: dict[str, Any], field: str) -> None:
    assert field in error(owner[0].post(members_url(shared), body, expect=400))["message"]
    assert len(owner[0].get(members_url(shared))) == 1


def test_change_a_members_role(root: Api, users: Users, owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    token, user_id = users.register("dev@example.com")
    owner[0].post(members_url(shared), {"email": "dev@example.com"}, expect=201)
    url = f"/api/projects/{shared['id']}/members/{user_id}"
    assert owner[0].patch(url, {"role": "editor"})["role"] == "editor"
    assert root.as_user(token).get(f"/api/projects/{shared['id']}")["role"] == "editor"
    assert "role" in error(owner[0].patch(url, {"role": "owner"}, expect=400))["message"]
    owner[0].patch(f"/api/projects/{shared['id']}/members/user_nope", {"role": "editor"}, expect=404)
    assert error(owner[0].patch(f"/api/projects/{shared['id']}/members/{owner[1]}", {"role": "viewer"},
                                expect=409))["code"] == "owner_not_member"


def test_remove_a_member_and_leave(root: Api, users: Users, owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    dev_token, dev_id = users.register("dev@example.com")
    peer_token, peer_id = users.register("peer@example.com")
    for email in ("dev@example.com", "peer@example.com"):
        owner[0].post(members_url(shared), {"email": email, "role": "editor"}, expect=201)
    dev, peer = root.as_user(dev_token), root.as_user(peer_token)

    assert error(dev.delete(f"/api/projects/{shared['id']}/members/{peer_id}", expect=403))["code"] == "forbidden"
    dev.delete(f"/api/projects/{shared['id']}/members/{dev_id}")  # leaving
    owner[0].delete(f"/api/projects/{shared['id']}/members/{peer_id}")

    dev.get(f"/api/projects/{shared['id']}", expect=404)
    peer.get(f"/api/projects/{shared['id']}", expect=404)
    owner[0].delete(f"/api/projects/{shared['id']}/members/{peer_id}", expect=404)
    owner[0].delete(f"/api/projects/{shared['id']}/members/{owner[1]}", expect=409)


def test_revoke_an_invitation(api: Api, owner: tuple[Api, str], shared: dict[str, Any]) -> None:
    owner[0].post(members_url(shared), {"email": "new@example.com"}, expect=201)
    owner[0].delete(f"/api/projects/{shared['id']}/invitations/NEW@example.com")
    assert len(owner[0].get(members_url(shared))) == 1
    owner[0].delete(f"/api/projects/{shared['id']}/invitations/new@example.com", expect=404)
    data = api.as_user(None).post("/api/auth/register", {"email": "new@example.com", "password": "correct-horse-1"},
                                  expect=201)
    api.as_user(data["token"]).get(f"/api/projects/{shared['id']}", expect=404)


def test_only_the_owner_manages_members(root: Api, users: Users, owner: tuple[Api, str],
                                        shared: dict[str, Any]) -> None:
    editor_token, _ = users.register("editor@example.com")
    stranger_token, _ = users.register("stranger@example.com")
    owner[0].post(members_url(shared), {"email": "editor@example.com", "role": "editor"}, expect=201)
    editor, stranger = root.as_user(editor_token), root.as_user(stranger_token)

    assert len(editor.get(members_url(shared))) == 2  # members may see who else is on the project
    assert "owner" in error(editor.post(members_url(shared), {"email": "x@example.com"}, expect=403))["message"]
    editor.delete(f"/api/projects/{shared['id']}/invitations/x@example.com", expect=403)
    stranger.get(members_url(shared), expect=404)
    stranger.post(members_url(shared), {"email": "x@example.com"}, expect=404)
    root.post(members_url(shared), {"email": "x@example.com"}, expect=201)  # a super admin owns everything
    root.as_user(None).get(members_url(shared), expect=401)
