"""Request guards: DNS-rebinding and CSRF protection, and who is asking.

With auth off the service trusts the machine's own user, so it must make sure a request really
comes from this machine: a loopback Host, and no foreign Origin on state-changing requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app, g, request

from orchestrator import runtime_settings, users
from orchestrator.access import ANONYMOUS, LOCAL
from orchestrator.errors import Forbidden, Unauthenticated
from web.context import db, runtime
from web.ext.auth import authenticate_key_request, is_key_dialect
from web.v1.auth import authenticate_team_request, is_team_path

F = TypeVar("F", bound=Callable[..., object])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    """Mark a view that answers without a token even when auth is on."""
    view.public = True  # type: ignore[attr-defined]
    return view


def check_request() -> None:
    auth_on = runtime_settings.auth_enabled(db())
    if not auth_on:
        _require_loopback_host()
    if request.method not in SAFE_METHODS or request.headers.get("Upgrade", "").lower() == "websocket":
        _require_same_origin()
    if is_key_dialect(request.path):  # /api/ext/v1 and /tasks-api.php take `ak_` keys only
        g.actor = authenticate_key_request()
        return
    if is_team_path(request.path):  # /api/v1 (seed 004) also takes `tb_` keys
        g.actor = authenticate_team_request(auth_on, _authenticate)
        return
    g.actor = _authenticate(auth_on)


def _require_loopback_host() -> None:
    host = urlsplit(f"//{request.host}").hostname or ""
    if not runtime_settings.is_loopback(host):
        raise Forbidden(
            f"Host {request.host!r} refused: with auth off only localhost may call this server",
            code="invalid_host",
        )


def _require_same_origin() -> None:
    origin = request.headers.get("Origin")
    if not origin:
        return
    own = f"{request.scheme}://{request.host}"
    if _normalise(origin) != _normalise(own):
        raise Forbidden(f"cross-origin request from {origin} refused", code="origin_mismatch")


def _normalise(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), parts.port or default


def _authenticate(auth_on: bool):  # type: ignore[no-untyped-def]
    token = _bearer_token()
    if token:
        actor = users.actor_for_token(db(), runtime().keyring, token)
        if actor is not None:
            return actor
        if auth_on and not _is_public_endpoint():  # a stale token must not stop a fresh login
            raise Unauthenticated("the token is invalid or expired; log in again", code="invalid_token")
    if not auth_on:
        return LOCAL
    if _is_public_endpoint():
        return ANONYMOUS
    raise Unauthenticated("authentication required: send Authorization: Bearer <token>")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _is_public_endpoint() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "public", False)) or request.endpoint is None
