"""Secrets at rest, password hashes and login tokens.

One master key (a Fernet key in <data_dir>/secret.key, mode 0600, or `secret_key` in the
settings) encrypts stored secrets; the JWT signing key is derived from it, so a single file is
all an installation must keep safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from orchestrator.config import ConfigError, Settings

KEY_FILENAME = "secret.key"
_hasher = PasswordHasher()


def ensure_master_key(data_dir: Path) -> Path:
    """Create the key file (0600) if it is missing; return its path."""
    path = data_dir / KEY_FILENAME
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
    return path


def load_master_key(settings: Settings) -> bytes:
    if settings.secret_key:
        raw = settings.secret_key.encode()
    else:
        raw = ensure_master_key(settings.data_dir).read_bytes().strip()
    try:
        Fernet(raw)
    except ValueError:
        raise ConfigError(
            "invalid setting secret_key: not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None
    return raw


@dataclass(frozen=True)
class Keyring:
    """Everything derived from the master key."""

    master_key: bytes

    @property
    def _fernet(self) -> Fernet:
        return Fernet(self.master_key)

    @property
    def signing_key(self) -> bytes:
        return hmac.new(self.master_key, b"switchyard-jwt", hashlib.sha256).digest()

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise ValueError("stored secret cannot be decrypted with this master key") from None

    def issue_token(self, user_id: str, ttl: timedelta) -> str:
        now = datetime.now(UTC)
        claims = {"sub": user_id, "iat": now, "exp": now + ttl, "typ": "access"}
        return jwt.encode(claims, self.signing_key, algorithm="HS256")

    def read_token(self, token: str) -> str | None:
        """The user id a valid token names, or None for anything invalid or expired."""
        try:
            claims = jwt.decode(token, self.signing_key, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) and claims.get("typ") == "access" else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_key(key: str) -> str:
    """Lookup hash for API keys: keys are long random strings, so a plain SHA-256 suffices."""
    return hashlib.sha256(key.encode()).hexdigest()


def random_token(nbytes: int = 24) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")


def mask_secret(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    if len(secret) < 16:
        return "****"
    return f"{secret[:7]}...****"
