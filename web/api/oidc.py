"""Single sign-on: the OIDC configuration (super_admin) and the browser's login flow."""

from __future__ import annotations

from flask import make_response, redirect, request, url_for
from flask_openapi3 import APIBlueprint, Tag

from orchestrator import oidc, users
from web.api.auth import user_json
from web.context import actor, db, runtime
from web.guards import public
from web.responses import no_content, ok
from web.schemas.oidc import CallbackQuery, LoginQuery, OidcConfigBody

bp = APIBlueprint("oidc", __name__, url_prefix="/api", abp_tags=[Tag(name="OIDC (Single Sign-On)")])
COOKIE = "switchyard_oidc"
COOKIE_PATH = "/api/oidc"
SECURED = [{"bearer": []}]


def _callback_url() -> str:
    return url_for("oidc.callback", _external=True)


@bp.get("/settings/oidc", security=SECURED)
def get_oidc_settings():  # type: ignore[no-untyped-def]
    return ok(oidc.get_config(db(), actor(), _callback_url()))


@bp.post("/settings/oidc", security=SECURED)
def set_oidc_settings(body: OidcConfigBody):  # type: ignore[no-untyped-def]
    return ok(oidc.set_config(db(), actor(), runtime().keyring, body.model_dump(), _callback_url()))


@bp.delete("/settings/oidc", security=SECURED)
def delete_oidc_settings():  # type: ignore[no-untyped-def]
    oidc.delete_config(db(), actor())
    return no_content()


@bp.post("/oidc/test", security=SECURED)
def test_oidc():  # type: ignore[no-untyped-def]
    return ok(oidc.check_provider(db(), actor(), runtime().keyring))


@bp.get("/oidc/login")
@public
def login(query: LoginQuery):  # type: ignore[no-untyped-def]
    """302 to the identity provider; the state travels in a signed HttpOnly cookie."""
    url, state = oidc.begin_login(db(), runtime().keyring, _callback_url(), query.redirect)
    response = redirect(url, 302)
    response.set_cookie(COOKIE, state, max_age=int(oidc.STATE_TTL.total_seconds()), path=COOKIE_PATH,
                        httponly=True, samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/oidc/callback")
@public
def callback(query: CallbackQuery):  # type: ignore[no-untyped-def]
    """A Switchyard token: as JSON like /api/auth/login, or in the fragment of the `redirect`
    path the login started with (fragments never reach a server's logs)."""
    user, return_to = oidc.finish_login(db(), runtime().keyring, request.cookies.get(COOKIE),
                                        query.model_dump(exclude_none=True))
    token = users.issue_token(runtime().keyring, user, runtime().settings.auth.token_ttl_hours)
    if return_to:
        response = redirect(f"{return_to}#token={token}", 302)
    else:
        response = make_response(ok({"token": token, "user": user_json(user)}))
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
