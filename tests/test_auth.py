"""Authentication: health, first-user setup, login, registration, who am I, and the auth toggle."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from orchestrator.config import load_settings
from orchestrator.security import Keyring
from tests.conftest import Api, Users
from web import create_app

PASSWORD = "correct-horse-1"


def error_of(client: FlaskClient, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    """The `error` object of a request expected to fail with `status`."""
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Health & status -------------------------------------------------------------------------------


def test_health_answers_ok(api: Api) -> None:
    assert api.get("/api/health") == {"status": "ok"}


def test_auth_status_on_a_fresh_install(api: Api) -> None:
    assert api.get("/api/settings/auth-status") == {"authEnabled": False, "oidcEnabled": False, "hasUsers": False}


def test_auth_status_follows_setup_and_the_toggle(api: Api, users: Users) -> None:
    token = users.setup_admin()
    assert api.get("/api/settings/auth-status")["hasUsers"] is True
    assert api.get("/api/settings/auth-status")["authEnabled"] is False

    users.enable_auth(token)

    assert api.get("/api/settings/auth-status") == {"authEnabled": True, "oidcEnabled": False, "hasUsers": True}


# Setup -----------------------------------------------------------------------------------------


def test_setup_creates_the_first_super_admin(api: Api) -> None:
    data = api.post("/api/auth/setup", {"email": "admin@example.com", "password": PASSWORD, "displayName": "Admin"},
                    expect=201)
    assert data["token"]
    user = data["user"]
    assert set(user) == {"id", "email", "displayName", "role"}
    assert user["email"] == "admin@example.com"
    assert user["displayName"] == "Admin"
    assert user["role"] == "super_admin"


def test_setup_a_second_time_is_refused(client: FlaskClient, users: Users) -> None:
    users.setup_admin()
    error = error_of(client, "POST", "/api/auth/setup", 409,
                     json={"email": "intruder@example.com", "password": PASSWORD})
    assert error["code"] == "setup_complete"
    error_of(client, "POST", "/api/auth/login", 401, json={"email": "intruder@example.com", "password": PASSWORD})


def test_password_is_stored_as_an_argon2_hash(app: Any, users: Users) -> None:
    users.setup_admin(password=PASSWORD)
    with app.extensions["switchyard"].sessions() as session:
        stored = session.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert len(stored) == 1
    assert stored[0].startswith("$argon2")
    assert PASSWORD not in stored[0]


# Login -----------------------------------------------------------------------------------------


def test_login_answers_a_token_that_identifies_the_user(api: Api, users: Users) -> None:
    users.setup_admin("root@example.com", PASSWORD)
    data = api.post("/api/auth/login", {"email": "root@example.com", "password": PASSWORD})
    assert data["user"]["email"] == "root@example.com"
    assert data["user"]["role"] == "super_admin"
    me = api.as_user(data["token"]).get("/api/auth/me")
    assert me == data["user"]


def test_login_ignores_the_case_of_the_email(api: Api, users: Users) -> None:
    users.setup_admin("root@example.com", PASSWORD)
    assert api.post("/api/auth/login", {"email": "Root@Example.COM", "password": PASSWORD})["token"]


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("root@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
    ],
    ids=["wrong password", "unknown email"],
)
def test_login_with_bad_credentials_is_401(client: FlaskClient, users: Users, email: str, password: str) -> None:
    users.setup_admin("root@example.com", PASSWORD)
    error = error_of(client, "POST", "/api/auth/login", 401, json={"email": email, "password": password})
    assert error["code"] == "invalid_credentials"
    assert "token" not in str(error)


# Registration ----------------------------------------------------------------------------------


def test_register_creates_a_plain_user(api: Api, users: Users) -> None:
    users.setup_admin()
    data = api.post("/api/auth/register", {"email": "dev@example.com", "password": PASSWORD, "displayName": "Dev"},
                    expect=201)
    assert data["token"]
    assert data["user"]["role"] == "user"
    assert data["user"]["displayName"] == "Dev"
    assert api.as_user(data["token"]).get("/api/auth/me")["email"] == "dev@example.com"


def test_register_without_a_display_name_uses_the_email(api: Api) -> None:
    data = api.post("/api/auth/register", {"email": "dev@example.com", "password": PASSWORD}, expect=201)
    assert data["user"]["displayName"] == "dev"


@pytest.mark.parametrize("second_email", ["dev@example.com", "DEV@example.com"])
def test_register_with_a_taken_email_is_409(client: FlaskClient, users: Users, second_email: str) -> None:
    users.register("dev@example.com")
    error = error_of(client, "POST", "/api/auth/register", 409, json={"email": second_email, "password": PASSWORD})
    assert error["code"] == "email_taken"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/auth/register", {"email": "dev@example.com", "password": "short"}, "password"),
        ("/api/auth/register", {"email": "not-an-email", "password": PASSWORD}, "email"),
        ("/api/auth/register", {"password": PASSWORD}, "email"),
        ("/api/auth/setup", {"email": "admin@example.com", "password": "1234567"}, "password"),
        ("/api/auth/setup", {"email": "admin at example.com", "password": PASSWORD}, "email"),
    ],
    ids=["short password", "bad email", "missing email", "setup short password", "setup bad email"],
)
def test_invalid_sign_up_is_400_naming_the_field(
    app: Any, client: FlaskClient, path: str, body: dict[str, Any], field: str
) -> None:
    error = error_of(client, "POST", path, 400, json=body)
    assert error["code"] == "validation_error"
    assert field in error["message"]
    with app.extensions["switchyard"].sessions() as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar() == 0


# Who am I --------------------------------------------------------------------------------------


def test_me_with_auth_off_and_no_token_is_the_local_developer(api: Api) -> None:
    me = api.get("/api/auth/me")
    assert me["role"] == "super_admin"
    assert me["id"] == "local"


def test_me_with_auth_off_and_a_token_is_that_user(api: Api, users: Users) -> None:
    token, user_id = users.register("dev@example.com")
    me = api.as_user(token).get("/api/auth/me")
    assert me == {"id": user_id, "email": "dev@example.com", "displayName": "dev", "role": "user"}


def test_me_with_auth_on_needs_a_token(client: FlaskClient, users: Users) -> None:
    users.enable_auth(users.setup_admin())
    assert error_of(client, "GET", "/api/auth/me", 401)["code"] == "unauthorized"


# The auth toggle -------------------------------------------------------------------------------


def test_auth_is_off_on_a_fresh_install(api: Api) -> None:
    assert api.get("/api/settings/auth") == {"enabled": False}


def test_enabling_auth_without_any_user_is_refused(api: Api, client: FlaskClient) -> None:
    error = error_of(client, "PUT", "/api/settings/auth", 409, json={"enabled": True})
    assert error["code"] == "no_users"
    assert "/api/auth/setup" in error["message"]
    assert api.get("/api/settings/auth") == {"enabled": False}


def test_enabling_auth_needs_a_super_admin(api: Api, client: FlaskClient, users: Users) -> None:
    users.setup_admin()
    token, _ = users.register("dev@example.com")
    error = error_of(client, "PUT", "/api/settings/auth", 403, json={"enabled": True}, headers=bearer(token))
    assert error["code"] == "forbidden"
    assert api.get("/api/settings/auth") == {"enabled": False}


def test_an_admin_may_not_switch_auth_either(api: Api, client: FlaskClient, users: Users) -> None:
    root = users.setup_admin()
    users.enable_auth(root)
    admin, _ = users.register("admin@example.com", role="admin")
    error_of(client, "PUT", "/api/settings/auth", 403, json={"enabled": False}, headers=bearer(admin))
    assert api.as_user(root).get("/api/settings/auth") == {"enabled": True}


def test_toggle_body_must_be_a_boolean(client: FlaskClient, users: Users) -> None:
    users.setup_admin()
    error = error_of(client, "PUT", "/api/settings/auth", 400, json={"enabled": "maybe"})
    assert error["code"] == "validation_error"
    assert "enabled" in error["message"]


def test_super_admin_switches_auth_on_and_off(api: Api, users: Users) -> None:
    root = api.as_user(users.setup_admin())
    assert root.put("/api/settings/auth", {"enabled": True}) == {"enabled": True}
    assert root.get("/api/settings/auth") == {"enabled": True}

    assert root.put("/api/settings/auth", {"enabled": False}) == {"enabled": False}

    assert api.get("/api/settings/auth") == {"enabled": False}
    assert api.get("/api/projects") == []


# With auth on ----------------------------------------------------------------------------------


@pytest.fixture
def auth_on(users: Users) -> str:
    """Auth switched on by the first user; returns that super_admin's token."""
    token = users.setup_admin("root@example.com", PASSWORD)
    users.enable_auth(token)
    return token


def test_auth_on_without_a_token_is_401(client: FlaskClient, auth_on: str) -> None:
    error = error_of(client, "GET", "/api/projects", 401)
    assert error["code"] == "unauthorized"
    assert "Bearer" in error["message"]


def test_auth_on_with_a_token_answers(api: Api, auth_on: str) -> None:
    assert api.as_user(auth_on).get("/api/projects") == []


def expired_token(app: Any, user_id: str) -> str:
    return app.extensions["switchyard"].keyring.issue_token(user_id, timedelta(seconds=-60))


def foreign_token(user_id: str) -> str:
    """A well-formed token signed by another installation's key."""
    from cryptography.fernet import Fernet

    return Keyring(Fernet.generate_key()).issue_token(user_id, timedelta(hours=1))


@pytest.mark.parametrize("kind", ["garbage", "expired", "signed elsewhere", "deleted user"])
def test_auth_on_with_a_bad_token_is_401(app: Any, client: FlaskClient, users: Users, auth_on: str, kind: str) -> None:
    token, user_id = users.register("dev@example.com")
    if kind == "garbage":
        token = "not.a.jwt"
    elif kind == "expired":
        token = expired_token(app, user_id)
    elif kind == "signed elsewhere":
        token = foreign_token(user_id)
    else:
        with app.extensions["switchyard"].transaction() as session:
            session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user_id})
    error = error_of(client, "GET", "/api/projects", 401, headers=bearer(token))
    assert error["code"] == "invalid_token"


def test_auth_on_public_routes_answer_without_a_token(api: Api, auth_on: str) -> None:
    assert api.get("/api/health") == {"status": "ok"}
    assert api.get("/api/settings/auth-status")["authEnabled"] is True
    assert api.post("/api/auth/login", {"email": "root@example.com", "password": PASSWORD})["token"]
    registered = api.post("/api/auth/register", {"email": "new@example.com", "password": PASSWORD}, expect=201)
    assert api.as_user(registered["token"]).get("/api/auth/me")["email"] == "new@example.com"


def test_auth_on_setup_without_a_token_says_setup_is_done(client: FlaskClient, auth_on: str) -> None:
    error = error_of(client, "POST", "/api/auth/setup", 409, json={"email": "x@example.com", "password": PASSWORD})
    assert error["code"] == "setup_complete"


def test_auth_on_toggle_needs_a_token(client: FlaskClient, auth_on: str) -> None:
    error_of(client, "GET", "/api/settings/auth", 401)
    error_of(client, "PUT", "/api/settings/auth", 401, json={"enabled": False})


# Switching auth off away from loopback ---------------------------------------------------------


@pytest.fixture
def exposed_api(tmp_path: Path, database_url: str) -> Any:
    """An app configured to listen on every interface (as `serve --host 0.0.0.0` would)."""
    settings = load_settings(None, data_dir=tmp_path / "exposed",
                             **{"database.url": database_url, "server.host": "0.0.0.0"})
    application = create_app(settings)
    yield Api(application.test_client())
    application.extensions["switchyard"].close()


def test_auth_cannot_be_switched_off_when_not_bound_to_loopback(exposed_api: Api) -> None:
    token = exposed_api.post("/api/auth/setup", {"email": "root@example.com", "password": PASSWORD},
                             expect=201)["token"]
    root = exposed_api.as_user(token)
    root.put("/api/settings/auth", {"enabled": True})

    response = root.client.put("/api/settings/auth", json={"enabled": False}, headers=bearer(token))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_loopback"
    assert "0.0.0.0" in error["message"]
    assert root.get("/api/settings/auth") == {"enabled": True}


def test_a_stale_token_does_not_block_logging_in_again(api, users) -> None:  # type: ignore[no-untyped-def]
    token = users.setup_admin()
    users.enable_auth(token)
    stale = api.as_user("not-a-valid-token")
    assert stale.post("/api/auth/login", {"email": "root@example.com", "password": "correct-horse-1"})["token"]
    stale.get("/api/projects", expect=401)
