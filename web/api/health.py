"""Health & Status."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import oidc, runtime_settings
from web.context import db
from web.guards import public
from web.responses import ok

bp = APIBlueprint("health", __name__, url_prefix="/api", abp_tags=[Tag(name="Health")])


@bp.get("/health")
@public
def health():  # type: ignore[no-untyped-def]
    return ok({"status": "ok"})


@bp.get("/settings/auth-status")
@public
def auth_status():  # type: ignore[no-untyped-def]
    session = db()
    return ok(
        {
            "authEnabled": runtime_settings.auth_enabled(session),
            "oidcEnabled": oidc.is_configured(session),
            "hasUsers": runtime_settings.has_users(session),
        }
    )
