"""Domain errors. Each carries a stable `code` and a message a person can act on.

The web layer maps the classes to HTTP statuses in one place (web/errors.py); nothing here knows
about HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(DomainError):
    """The request is well formed but asks for something impossible (bad value, bad reference)."""

    code = "validation_error"


class NotFound(DomainError):
    code = "not_found"

    @classmethod
    def of(cls, kind: str, ident: str) -> NotFound:
        return cls(f"{kind} {ident} not found")


class Unauthenticated(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """The target's current state forbids the change (dirty worktree, setup already done, …)."""

    code = "conflict"


class TooLarge(DomainError):
    """The request or the thing it asks for is bigger than a configured limit."""

    code = "payload_too_large"


class RateLimited(DomainError):
    """Too many requests for a key's limit; `retry_after` says in how many seconds to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after


class NotSupported(DomainError):
    """The route exists but cannot work on this installation; the message says why."""

    code = "not_supported"


class UpstreamError(DomainError):
    """A provider or other outside service failed in a way the caller cannot fix here."""

    code = "upstream_error"
