"""Admin Users: listing, creating with a one-time password, changing, resetting and deleting
accounts, with auth on; and the user search any signed-in person may use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models import User
from tests.conftest import Api, Users

PASSWORD = "correct-horse-1"


@pytest.fixture
def root(api: Api, users: Users) -> Api:
    """The first user (super_admin), with auth switched on."""
    token = users.setup_admin("root@example.com", PASSWORD)
    users.enable_auth(token)
    return api.as_user(token)


def login(api: Api, email: str, password: str, expect: int = 200) -> Any:
    return api.as_user(None).post("/api/auth/login", {"email": email, "password": password}, expect=expect)


def error(data: Any) -> dict[str, Any]:
    return data["error"]


# Listing ---------------------------------------------------------------------------------------


def test_list_shows_the_seed_shape_with_a_total(root: Api) -> None:
    data = root.get("/api/admin/users")
    assert data["total"] == 1
    user = data["users"][0]
    assert {k: user[k] for k in ("email", "name", "role", "authProvider", "avatarUrl", "isSuperAdmin")} == {
        "email": "root@example.com", "name": "root", "role": "super_admin", "authProvider": "local",
        "avatarUrl": None, "isSuperAdmin": True}
    assert user["id"].startswith("user_") and user["createdAt"].endswith("Z")
    assert "password" not in str(user).lower().replace("mustchangepassword", "")


def test_list_pages_with_offset_and_limit(root: Api, users: Users) -> None:
    for n in range(5):
        users.register(f"dev{n}@example.com")
    page = root.get("/api/admin/users?offset=2&limit=2")
    assert page["total"] == 6
    assert [u["email"] for u in page["users"]] == ["dev1@example.com", "dev2@example.com"]
    assert root.get("/api/admin/users?offset=10")["users"] == []


def test_list_searches_names_and_emails_ignoring_case(root: Api, users: Users) -> None:
    users.register("alice@example.com")
    users.register("bob@corp.test")
    root.post("/api/admin/users", {"email": "carol@example.com", "name": "Carol Smith", "role": "user"}, expect=201)

    assert [u["email"] for u in root.get("/api/admin/users?search=CORP")["users"]] == ["bob@corp.test"]
    smiths = root.get("/api/admin/users?search=smith")
    assert (smiths["total"], smiths["users"][0]["email"]) == (1, "carol@example.com")
    assert root.get("/api/admin/users?search=%25")["total"] == 0  # a % is a character, not a wildcard


@pytest.mark.parametrize(("query", "field"), [("limit=101", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"),
                                               ("limit=many", "limit")])
def test_bad_paging_is_400_naming_the_field(root: Api, query: str, field: str) -> None:
    problem = error(root.get(f"/api/admin/users?{query}", expect=400))
    assert problem["code"] == "validation_error" and field in problem["message"]


# Creating --------------------------------------------------------------------------------------


def test_create_returns_the_user_and_a_password_shown_once(root: Api, api: Api) -> None:
    data = root.post("/api/admin/users", {"email": "New@Example.com", "name": "New User", "role": "user"}, expect=201)
    user, password = data["user"], data["generatedPassword"]
    assert (user["email"], user["name"], user["role"], user["isSuperAdmin"]) == (
        "new@example.com", "New User", "user", False)
    assert user["mustChangePassword"] is True
    assert len(password) >= 12

    assert login(api, "new@example.com", password)["user"]["id"] == user["id"]
    listed = root.get("/api/admin/users?search=new@")["users"][0]
    assert "generatedPassword" not in listed


def test_create_with_a_taken_email_is_409(root: Api) -> None:
    problem = error(root.post("/api/admin/users", {"email": "ROOT@example.com", "name": "Again", "role": "user"},
                              expect=409))
    assert problem["code"] == "email_taken"


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "x@example.com", "name": "X", "role": "owner"}, "role"),
    ({"email": "x@example.com", "role": "user"}, "name"),
    ({"email": "not-an-email", "name": "X", "role": "user"}, "email"),
    ({"email": "x@example.com", "name": "   ", "role": "user"}, "name"),
])
def test_create_with_bad_input_is_400_naming_the_field(root: Api, body: dict[str, Any], field: str) -> None:
    problem = error(root.post("/api/admin/users", body, expect=400))
    assert field in problem["message"]
    assert root.get("/api/admin/users")["total"] == 1


def test_an_admin_creates_users_and_admins_but_not_super_admins(root: Api, users: Users) -> None:
    token, _ = users.register("admin@example.com", role="admin")
    admin = root.as_user(token)
    admin.post("/api/admin/users", {"email": "a2@example.com", "name": "A2", "role": "admin"}, expect=201)
    problem = error(admin.post("/api/admin/users", {"email": "s2@example.com", "name": "S2", "role": "super_admin"},
                               expect=403))
    assert "super_admin" in problem["message"]


# Updating --------------------------------------------------------------------------------------


def test_patch_changes_name_and_role(root: Api, users: Users) -> None:
    token, user_id = users.register("dev@example.com")
    updated = root.patch(f"/api/admin/users/{user_id}", {"name": "Updated Name", "role": "admin"})
    assert (updated["name"], updated["role"], updated["email"]) == ("Updated Name", "admin", "dev@example.com")
    assert root.as_user(token).get("/api/auth/me")["role"] == "admin"  # the change holds at once


def test_patch_of_an_unknown_user_is_404(root: Api) -> None:
    assert error(root.patch("/api/admin/users/user_nope", {"name": "X"}, expect=404))["code"] == "not_found"


def test_patch_with_a_bad_role_is_400(root: Api, users: Users) -> None:
    _, user_id = users.register("dev@example.com")
    assert "role" in error(root.patch(f"/api/admin/users/{user_id}", {"role": "god"}, expect=400))["message"]


def test_the_last_super_admin_cannot_be_demoted(root: Api) -> None:
    me = root.get("/api/auth/me")
    problem = error(root.patch(f"/api/admin/users/{me['id']}", {"role": "admin"}, expect=409))
    assert problem["code"] == "last_super_admin"
    assert root.get("/api/auth/me")["role"] == "super_admin"


def test_a_super_admin_steps_down_when_another_exists(root: Api, users: Users) -> None:
    _, other = users.register("second@example.com")
    root.patch(f"/api/admin/users/{other}", {"role": "super_admin"})
    me = root.get("/api/auth/me")
    assert root.patch(f"/api/admin/users/{me['id']}", {"role": "user"})["role"] == "user"


def test_an_admin_cannot_touch_a_super_admin(root: Api, users: Users) -> None:
    token, _ = users.register("admin@example.com", role="admin")
    admin = root.as_user(token)
    root_id = root.get("/api/auth/me")["id"]
    assert error(admin.patch(f"/api/admin/users/{root_id}", {"name": "Pwned"}, expect=403))["code"] == "forbidden"
    admin.post(f"/api/admin/users/{root_id}/reset-password", expect=403)
    admin.delete(f"/api/admin/users/{root_id}", expect=403)
    _, plain = users.register("plain@example.com")
    assert error(admin.patch(f"/api/admin/users/{plain}", {"role": "super_admin"}, expect=403))["code"] == "forbidden"


# Passwords -------------------------------------------------------------------------------------


def test_reset_password_replaces_the_old_one(root: Api, api: Api, users: Users) -> None:
    _, user_id = users.register("dev@example.com", password=PASSWORD)
    password = root.post(f"/api/admin/users/{user_id}/reset-password")["generatedPassword"]
    assert password != PASSWORD
    login(api, "dev@example.com", PASSWORD, expect=401)
    assert login(api, "dev@example.com", password)["user"]["id"] == user_id


def test_reset_password_of_a_single_sign_on_user_is_refused(root: Api, app: Any, users: Users) -> None:
    _, user_id = users.register("sso@example.com")
    with app.extensions["switchyard"].transaction() as session:
        session.get(User, user_id).auth_provider = "oidc"
    problem = error(root.post(f"/api/admin/users/{user_id}/reset-password", expect=409))
    assert problem["code"] == "not_local_user"


def test_reset_password_of_an_unknown_user_is_404(root: Api) -> None:
    root.post("/api/admin/users/user_nope/reset-password", expect=404)


# Deleting --------------------------------------------------------------------------------------


def test_check_delete_counts_owned_projects(root: Api, users: Users, make_repo: Callable[..., Path]) -> None:
    token, user_id = users.register("dev@example.com")
    for name in ("one", "two"):
        root.as_user(token).post("/api/projects", {"name": name, "path": str(make_repo(name))}, expect=201)
    assert root.get(f"/api/admin/users/{user_id}/check-delete") == {
        "ownedProjectsCount": 2, "canDelete": True, "reason": None}


def test_check_delete_says_why_a_delete_would_be_refused(root: Api) -> None:
    me = root.get("/api/auth/me")["id"]
    impact = root.get(f"/api/admin/users/{me}/check-delete")
    assert impact["canDelete"] is False and "your own account" in impact["reason"]
    root.get("/api/admin/users/user_nope/check-delete", expect=404)


def test_delete_hands_projects_to_the_acting_super_admin(root: Api, users: Users, repo: Path) -> None:
    token, user_id = users.register("dev@example.com")
    dev = root.as_user(token)
    project = dev.post("/api/projects", {"name": "Theirs", "path": str(repo)}, expect=201)
    root_id = root.get("/api/auth/me")["id"]

    root.delete(f"/api/admin/users/{user_id}")

    assert root.get(f"/api/projects/{project['id']}")["ownerId"] == root_id
    assert root.get("/api/admin/users")["total"] == 1
    dev.get("/api/auth/me", expect=401)  # the deleted account's token no longer works


def test_an_heir_who_was_a_member_is_listed_once_as_owner(root: Api, users: Users, repo: Path) -> None:
    token, user_id = users.register("dev@example.com")
    project = root.as_user(token).post("/api/projects", {"name": "Theirs", "path": str(repo)}, expect=201)
    root.as_user(token).post(f"/api/projects/{project['id']}/members", {"email": "root@example.com"}, expect=201)

    root.delete(f"/api/admin/users/{user_id}")

    assert [(p["email"], p["role"]) for p in root.get(f"/api/projects/{project['id']}/members")] == [
        ("root@example.com", "owner")]


def test_nobody_deletes_themselves(root: Api) -> None:
    me = root.get("/api/auth/me")["id"]
    assert error(root.delete(f"/api/admin/users/{me}", expect=409))["code"] == "cannot_delete_self"


def test_the_last_super_admin_cannot_be_deleted(api: Api, users: Users) -> None:
    """With auth off the local developer (a super admin without an account) manages users too."""
    users.setup_admin()
    only = api.get("/api/admin/users")["users"][0]["id"]
    assert error(api.delete(f"/api/admin/users/{only}", expect=409))["code"] == "last_super_admin"
    assert api.get(f"/api/admin/users/{only}/check-delete")["canDelete"] is False


def test_delete_of_an_unknown_user_is_404(root: Api) -> None:
    root.delete("/api/admin/users/user_nope", expect=404)


def test_a_deleted_users_preferences_go_with_them(root: Api, users: Users) -> None:
    token, user_id = users.register("dev@example.com")
    root.as_user(token).put("/api/user/settings", {"theme": "light"})
    root.delete(f"/api/admin/users/{user_id}")
    again_token, _ = users.register("dev@example.com")
    assert root.as_user(again_token).get("/api/user/settings")["theme"] == "dark"


# Who may ---------------------------------------------------------------------------------------


ADMIN_ROUTES = [
    ("GET", "/api/admin/users", None),
    ("POST", "/api/admin/users", {"email": "x@example.com", "name": "X", "role": "user"}),
    ("PATCH", "/api/admin/users/{id}", {"name": "X"}),
    ("DELETE", "/api/admin/users/{id}", None),
    ("GET", "/api/admin/users/{id}/check-delete", None),
    ("POST", "/api/admin/users/{id}/reset-password", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
def test_plain_users_and_strangers_are_kept_out(root: Api, users: Users, method: str, path: str,
                                                body: dict[str, Any] | None) -> None:
    token, target = users.register("dev@example.com")
    url = path.replace("{id}", target)
    assert error(root.as_user(token).call(method, url, 403, json=body))["code"] == "forbidden"
    root.as_user(None).call(method, url, 401, json=body)
    assert root.get("/api/admin/users")["total"] == 2  # nothing was created or deleted


# User search -----------------------------------------------------------------------------------


def test_user_search_finds_people_by_name_or_email(root: Api, users: Users) -> None:
    token, _ = users.register("alice@example.com")
    users.register("bob@example.com")
    dev = root.as_user(token)
    assert [u["email"] for u in dev.get("/api/users/search?q=BOB")] == ["bob@example.com"]
    found = dev.get("/api/users/search?q=alice")[0]
    assert set(found) == {"id", "email", "displayName"}
    assert dev.get("/api/users/search?q=") == []
    assert dev.get("/api/users/search?q=_") == []  # LIKE wildcards are plain characters
    root.as_user(None).get("/api/users/search?q=a", expect=401)


def test_user_search_caps_the_query_length(root: Api) -> None:
    assert "q" in error(root.get("/api/users/search?q=" + "a" * 201, expect=400))["message"]
