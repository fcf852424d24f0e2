"""A small OpenID Connect provider on loopback, for the SSO tests.

It serves what a real provider serves (discovery document, authorization endpoint, token
endpoint, JWKS) and checks what a real one checks (client id and secret, redirect URI, PKCE,
single-use codes). The authorization endpoint logs in `provider.identity` at once instead of
showing a form. Knobs make it misbehave the ways the relying party must catch: a wrong nonce,
audience or issuer, an expired token, a token signed with a key not in the JWKS, a refusal.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "test-key-1"


@functools.cache
def signing_key(name: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make; one per name for the whole run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeOidcProvider:
    client_id: str = "switchyard-test"
    client_secret: str = "s3cret-client-value"
    identity: dict[str, Any] = field(default_factory=lambda: {
        "sub": "user-123", "email": "sso.user@example.com", "email_verified": True, "name": "Sso User"})
    # Misbehaviours
    wrong_nonce: bool = False
    wrong_audience: bool = False
    expired: bool = False
    foreign_key: bool = False
    discovery_issuer: str | None = None  # claim another issuer in the discovery document
    deny: bool = False
    # What it saw
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeOidcProvider:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # Endpoints -----------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.discovery_issuer or self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(signing_key("good").public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {}
        if self.deny:
            params = {"error": "access_denied", "error_description": "the user said no", "state": query["state"]}
            return 302, {"Location": f"{redirect_uri}?{urlencode(params)}"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": query.get("nonce", ""), "challenge": query.get("code_challenge", ""),
                            "method": query.get("code_challenge_method", ""), "redirect_uri": redirect_uri}
        return 302, {"Location": f"{redirect_uri}?{urlencode({'code': code, 'state': query['state']})}"}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests.append({**form, "authorization": authorization})
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if grant["method"] != "S256" or challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 3600,
                     "id_token": self.id_token(grant["nonce"])}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {**self.identity, "iss": self.issuer, "aud": "someone-else" if self.wrong_audience else self.client_id,
                  "iat": now - (7200 if self.expired else 0), "exp": now + (-3600 if self.expired else 600),
                  "nonce": "not-the-nonce" if self.wrong_nonce else nonce}
        key = signing_key("foreign" if self.foreign_key else "good")
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def _handler_for(provider: FakeOidcProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                status, headers = provider.authorize(query)
                self._send(status, b"", headers)
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            status, body = provider.token(form, self.headers.get("Authorization", ""))
            self._json(status, body)

        def _json(self, status: int, body: Any) -> None:
            self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
