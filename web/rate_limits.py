"""The key dialects' one rate limiter (per app) and the X-RateLimit-* headers on their answers.

Each dialect counts in its own buckets (`ext:`, `tasks:`, `v1:` …); the tightest usage of a
request is kept in `g` and its headers go on whatever answer the request gets, errors included.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g

from orchestrator.errors import RateLimited
from orchestrator.rate_limits import RateLimiter, Usage

LIMITER = "switchyard_rate_limiter"


def register(app: Flask) -> None:
    if LIMITER not in app.extensions:  # both dialects register; one limiter, one hook
        app.extensions[LIMITER] = RateLimiter(app.extensions["switchyard"].settings.ratelimit)
        app.after_request(_rate_limit_headers)


def count(*hits: tuple[str, int]) -> None:
    """Count the request in each (bucket, per_minute); refused if any bucket is full."""
    limiter: RateLimiter = current_app.extensions[LIMITER]
    usages = [limiter.hit(bucket, per_minute) for bucket, per_minute in hits]
    refused = next((usage for usage in usages if not usage.allowed), None)
    g.rate_limit = refused or min(usages, key=lambda usage: usage.remaining)
    if refused is not None:
        raise RateLimited("Rate limit exceeded. Try again later.", refused.retry_after)


def _rate_limit_headers(response: Response) -> Response:
    usage: Usage | None = g.get("rate_limit")
    if usage is not None:
        response.headers.update(usage.headers())
    return response
