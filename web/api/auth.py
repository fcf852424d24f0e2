"""Authentication, and the auth toggle."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import User
from orchestrator import runtime_settings, users
from orchestrator.access import Actor
from orchestrator.errors import Unauthenticated
from web.context import actor, db, runtime
from web.guards import public
from web.responses import created, ok
from web.schemas.auth import AuthToggleBody, LoginBody, RegisterBody, SetupBody

bp = APIBlueprint("auth", __name__, url_prefix="/api", abp_tags=[Tag(name="Authentication")])

LOCAL_USER = {
    "id": "local",
    "email": "local@localhost",
    "displayName": "Local developer",
    "role": "super_admin",
}


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "displayName": user.display_name,
        "role": user.role,
    }


def _session_payload(user: User) -> dict[str, Any]:
    settings = runtime().settings
    token = users.issue_token(runtime().keyring, user, settings.auth.token_ttl_hours)
    return {"token": token, "user": user_json(user)}


@bp.post("/auth/setup")
@public
def setup(body: SetupBody):  # type: ignore[no-untyped-def]
    user = users.setup_first_user(db(), body.email, body.password, body.displayName)
    return created(_session_payload(user))


@bp.post("/auth/login")
@public
def login(body: LoginBody):  # type: ignore[no-untyped-def]
    return ok(_session_payload(users.login(db(), body.email, body.password)))


@bp.post("/auth/register")
@public
def register(body: RegisterBody):  # type: ignore[no-untyped-def]
    user = users.create_user(db(), body.email, body.password, body.displayName)
    return created(_session_payload(user))


@bp.get("/auth/me", security=[{"bearer": []}])
def me():  # type: ignore[no-untyped-def]
    current: Actor = actor()
    if current.local:
        return ok(LOCAL_USER)
    user = users.describe_actor_user(db(), current)
    if user is None:
        raise Unauthenticated("no user is logged in")
    return ok(user_json(user))


@bp.get("/settings/auth", security=[{"bearer": []}])
def get_auth_settings():  # type: ignore[no-untyped-def]
    return ok({"enabled": runtime_settings.auth_enabled(db())})


@bp.put("/settings/auth", security=[{"bearer": []}])
def put_auth_settings(body: AuthToggleBody):  # type: ignore[no-untyped-def]
    bound = runtime().settings.server.host
    enabled = runtime_settings.set_auth_enabled(db(), actor(), body.enabled, bound)
    return ok({"enabled": enabled})
