"""Single sign-on with an OpenID Connect provider: its configuration and the login flow.

The flow is the authorization-code flow with PKCE, driven by the provider's discovery document:
`begin_login` sends the browser to the provider with a fresh state and nonce, kept in a signed,
short-lived cookie rather than on the server; `finish_login` checks the state, trades the code
for tokens, verifies the id_token (signature against the provider's JWKS, issuer, audience,
expiry, nonce) and returns the Switchyard user, created on first login with the `user` role.
An account whose email already exists is linked only when the provider says the email is
verified. The client secret is stored encrypted and never returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Setting, User, iso, utcnow
from orchestrator import users
from orchestrator.access import Actor, require_super_admin
from orchestrator.errors import Conflict, InvalidInput, Unauthenticated, UpstreamError
from orchestrator.runtime_settings import GLOBAL, get_setting, is_loopback, put_setting
from orchestrator.security import Keyring, random_token

log = logging.getLogger(__name__)

CONFIG_KEY = "oidc"
REQUIRED = ("issuerUrl", "clientId", "clientSecret")
DEFAULT_SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10
STATE_TTL = timedelta(minutes=10)
STATE_TYPE = "oidc_state"
SIGNING_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    redirect_uri: str | None


@dataclass(frozen=True)
class Provider:
    """What the discovery document says about the provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: list[str]
    auth_methods: list[str]


# Configuration ---------------------------------------------------------------------------------


def is_configured(session: Session) -> bool:
    return bool(get_setting(session, CONFIG_KEY))


def get_config(session: Session, actor: Actor, default_redirect_uri: str) -> dict[str, Any]:
    require_super_admin(actor, "reading the OIDC configuration")
    stored = get_setting(session, CONFIG_KEY) or {}
    return {"configured": bool(stored), "issuerUrl": stored.get("issuerUrl"), "clientId": stored.get("clientId"),
            "hasClientSecret": bool(stored.get("clientSecretEncrypted")),
            "scopes": stored.get("scopes", DEFAULT_SCOPES),
            "redirectUri": stored.get("redirectUri") or default_redirect_uri, "updatedAt": stored.get("updatedAt")}


def set_config(session: Session, actor: Actor, keyring: Keyring, values: dict[str, Any],
               default_redirect_uri: str) -> dict[str, Any]:
    require_super_admin(actor, "configuring OIDC")
    issuer = check_issuer(values["issuerUrl"])
    if values.get("redirectUri"):
        check_redirect_uri(values["redirectUri"])
    put_setting(session, CONFIG_KEY, {
        "issuerUrl": issuer, "clientId": values["clientId"],
        "clientSecretEncrypted": keyring.encrypt(values["clientSecret"]).decode(),
        "scopes": _scopes(values.get("scopes")), "redirectUri": values.get("redirectUri") or None,
        "updatedAt": iso(utcnow()),
    })
    return get_config(session, actor, default_redirect_uri)


def delete_config(session: Session, actor: Actor) -> None:
    require_super_admin(actor, "removing the OIDC configuration")
    row = session.get(Setting, (GLOBAL, CONFIG_KEY))
    if row is not None:
        session.delete(row)


def check_issuer(raw: str) -> str:
    """https, or http on a loopback host (a provider on this machine); no query or fragment."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("issuerUrl: must be an http(s) URL such as https://accounts.example.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidInput("issuerUrl: must use https (plain http is allowed on loopback only)")
    if parts.query or parts.fragment:
        raise InvalidInput("issuerUrl: must not carry a query or a fragment")
    return raw.strip().rstrip("/")


def check_redirect_uri(raw: str) -> None:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise InvalidInput("redirectUri: must be an absolute http(s) URL ending in /api/oidc/callback")


def _scopes(raw: str | None) -> str:
    scopes = (raw or DEFAULT_SCOPES).split()
    return " ".join(scopes if "openid" in scopes else ["openid", *scopes])


def load_config(session: Session, keyring: Keyring) -> OidcConfig:
    """The stored configuration; Conflict naming the missing settings when there is none."""
    stored = get_setting(session, CONFIG_KEY) or {}
    missing = [name for name in REQUIRED
               if not stored.get("clientSecretEncrypted" if name == "clientSecret" else name)]
    if missing:
        raise Conflict(f"OIDC is not configured: {', '.join(missing)} missing; set them with "
                       "POST /api/settings/oidc", code="oidc_not_configured")
    try:
        secret = keyring.decrypt(stored["clientSecretEncrypted"].encode())
    except ValueError:  # stored under another master key
        raise Conflict("OIDC is not usable: the stored clientSecret cannot be decrypted with this master key; "
                       "set it again with POST /api/settings/oidc", code="oidc_not_configured") from None
    return OidcConfig(stored["issuerUrl"], stored["clientId"], secret, stored.get("scopes") or DEFAULT_SCOPES,
                      stored.get("redirectUri"))


# The provider ----------------------------------------------------------------------------------


def discover(issuer: str) -> Provider:
    """Fetch and check the discovery document (its issuer must be the configured one)."""
    url = f"{issuer}/.well-known/openid-configuration"
    document = _get_json(url, "the discovery document")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise UpstreamError(f"the discovery document at {url} names issuer {document.get('issuer')!r}, "
                            f"not {issuer!r}", code="oidc_discovery_failed")
    try:
        return Provider(
            issuer=issuer, authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"], jwks_uri=document["jwks_uri"],
            algorithms=list(document.get("id_token_signing_alg_values_supported") or ["RS256"]),
            auth_methods=list(document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]))
    except KeyError as exc:
        raise UpstreamError(f"the discovery document at {url} has no {exc.args[0]}",
                            code="oidc_discovery_failed") from None


def check_provider(session: Session, actor: Actor, keyring: Keyring) -> dict[str, Any]:
    """Discovery and the signing keys answer; 502 saying what failed otherwise."""
    require_super_admin(actor, "testing OIDC")
    provider = discover(load_config(session, keyring).issuer)
    keys = _get_json(provider.jwks_uri, "the JWKS").get("keys")
    if not isinstance(keys, list) or not keys:
        raise UpstreamError(f"{provider.jwks_uri} lists no signing keys", code="oidc_discovery_failed")
    return {"success": True, "issuer": provider.issuer, "authorizationEndpoint": provider.authorization_endpoint,
            "tokenEndpoint": provider.token_endpoint, "jwksUri": provider.jwks_uri, "keys": len(keys)}


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        document = response.json()
    except requests.RequestException as exc:
        raise UpstreamError(f"could not fetch {what} from {url}: {exc.__class__.__name__}",
                            code="oidc_discovery_failed") from None
    except ValueError:
        raise UpstreamError(f"{url} did not answer with JSON", code="oidc_discovery_failed") from None
    if not isinstance(document, dict):
        raise UpstreamError(f"{url} did not answer with a JSON object", code="oidc_discovery_failed")
    return document


# The login flow --------------------------------------------------------------------------------


def begin_login(session: Session, keyring: Keyring, default_redirect_uri: str,
                return_to: str | None) -> tuple[str, str]:
    """(the provider's authorization URL, the signed state cookie to set)."""
    if return_to is not None:
        check_return_to(return_to)
    config = load_config(session, keyring)
    provider = discover(config.issuer)
    redirect_uri = config.redirect_uri or default_redirect_uri
    state, nonce, verifier = random_token(24), random_token(24), random_token(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urlencode({"response_type": "code", "client_id": config.client_id, "redirect_uri": redirect_uri,
                       "scope": config.scopes, "state": state, "nonce": nonce,
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    now = datetime.now(UTC)
    cookie = jwt.encode({"typ": STATE_TYPE, "state": state, "nonce": nonce, "verifier": verifier,
                         "redirectUri": redirect_uri, "returnTo": return_to, "iat": now, "exp": now + STATE_TTL},
                        keyring.signing_key, algorithm="HS256")
    return f"{provider.authorization_endpoint}{separator}{query}", cookie


def check_return_to(value: str) -> None:
    """Only a path on this server: `/board`, never `//evil.example` or `https://…`."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        raise InvalidInput("redirect: must be a path on this server, starting with a single /")


def finish_login(session: Session, keyring: Keyring, cookie: str | None, params: dict[str, str]) -> tuple[User, str | None]:
    """The user the provider vouches for, and where the browser wanted to go afterwards."""
    pending = _read_state_cookie(keyring, cookie)
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        raise Unauthenticated(f"the identity provider refused the login: {detail}", code="oidc_denied")
    if not hmac.compare_digest(params.get("state", ""), pending["state"]):
        raise InvalidInput("state: does not match the login in progress; start again at /api/oidc/login",
                           code="oidc_state_mismatch")
    if not params.get("code"):
        raise InvalidInput("code: missing from the provider's answer")
    config = load_config(session, keyring)
    provider = discover(config.issuer)
    id_token = _exchange_code(provider, config, params["code"], pending)
    claims = _verify_id_token(provider, config, id_token, pending["nonce"])
    user = _user_for(session, config.issuer, claims)
    log.info("OIDC login user_id=%s via %s", user.id, config.issuer)
    return user, pending.get("returnTo")


def _read_state_cookie(keyring: Keyring, cookie: str | None) -> dict[str, Any]:
    if not cookie:
        raise InvalidInput("no login is in progress in this browser: start at /api/oidc/login",
                           code="oidc_state_missing")
    try:
        claims = jwt.decode(cookie, keyring.signing_key, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise InvalidInput("the login took too long (10 minutes); start again at /api/oidc/login",
                           code="oidc_state_expired") from None
    except jwt.PyJWTError:
        raise InvalidInput("the login state cookie is invalid; start again at /api/oidc/login",
                           code="oidc_state_invalid") from None
    if claims.get("typ") != STATE_TYPE:
        raise InvalidInput("the login state cookie is invalid; start again at /api/oidc/login",
                           code="oidc_state_invalid")
    return claims


def _exchange_code(provider: Provider, config: OidcConfig, code: str, pending: dict[str, Any]) -> str:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending["redirectUri"],
            "code_verifier": pending["verifier"], "client_id": config.client_id}
    auth: tuple[str, str] | None = (config.client_id, config.client_secret)
    if "client_secret_basic" not in provider.auth_methods and "client_secret_post" in provider.auth_methods:
        data["client_secret"], auth = config.client_secret, None
    try:
        response = requests.post(provider.token_endpoint, data=data, auth=auth, timeout=TIMEOUT_SECONDS,
                                 headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise UpstreamError(f"could not reach the token endpoint {provider.token_endpoint}: "
                            f"{exc.__class__.__name__}", code="oidc_token_failed") from None
    body = _json_or_empty(response)
    if response.status_code != 200:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise Unauthenticated(f"the identity provider refused the code: {reason}", code="oidc_token_failed")
    if not isinstance(body.get("id_token"), str):
        raise UpstreamError("the token endpoint returned no id_token", code="oidc_token_failed")
    return body["id_token"]


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _verify_id_token(provider: Provider, config: OidcConfig, id_token: str, nonce: str) -> dict[str, Any]:
    algorithms = [a for a in provider.algorithms if a in SIGNING_ALGORITHMS] or ["RS256"]
    try:
        key = jwt.PyJWKClient(provider.jwks_uri, cache_jwk_set=False, timeout=TIMEOUT_SECONDS)
        signing_key = key.get_signing_key_from_jwt(id_token)
        claims = jwt.decode(id_token, signing_key.key, algorithms=algorithms, audience=config.client_id,
                            issuer=config.issuer, leeway=60,
                            options={"require": ["iss", "sub", "aud", "exp", "iat"]})
    except jwt.PyJWKClientConnectionError as exc:
        raise UpstreamError(f"could not fetch the provider's keys from {provider.jwks_uri}: {exc}",
                            code="oidc_token_failed") from None
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"the id_token is not valid: {exc}", code="oidc_invalid_token") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise Unauthenticated("the id_token is not valid: azp is not this client", code="oidc_invalid_token")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise Unauthenticated("the id_token is not valid: its nonce does not match this login",
                              code="oidc_invalid_token")
    return claims


def _user_for(session: Session, issuer: str, claims: dict[str, Any]) -> User:
    """The linked user; else link a verified email's account; else a new `user`."""
    subject = str(claims["sub"])
    user = session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is None:
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise InvalidInput("the identity provider sent no email claim; add the `email` scope",
                               code="oidc_no_email")
        user = users.find_user_by_email(session, email)
        if user is not None and (claims.get("email_verified") is not True or user.oidc_subject is not None):
            raise Conflict(f"an account with email {email} exists and the provider does not vouch for that "
                           "email (email_verified); an administrator must link it", code="email_taken")
        if user is None:
            name = claims.get("name") or claims.get("preferred_username") or ""
            user = users.create_user(session, email, None, str(name)[:200])
            user.auth_provider = "oidc"
        user.oidc_issuer, user.oidc_subject = issuer, subject
    user.last_login_at = utcnow()
    return user
