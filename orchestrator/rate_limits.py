"""Requests per minute per API key, counted by the `limits` library (a moving window).

Counts live in this process's memory by default; with `[ratelimit] storage_url` (for example
redis://127.0.0.1:6379) they live in that store, so several web processes share one limit per
key. A store that fails lets requests through and logs it: the limit protects the service, and
an integration should not stop because Redis restarted.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from orchestrator.config import RateLimitSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Usage:
    """One counted request: the figures every response shows, and whether it may go ahead."""

    allowed: bool
    limit: int
    remaining: int
    reset_time: float  # Unix time by which the oldest counted request leaves the window

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_time - time.time()))

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(math.ceil(self.reset_time))}


class RateLimiter:
    def __init__(self, settings: RateLimitSettings) -> None:
        self.settings = settings
        self._strategy = MovingWindowRateLimiter(storage_from_string(settings.storage_url or "memory://"))

    def hit(self, bucket: str, per_minute: int) -> Usage:
        """Count a request against `bucket` (a dialect and a key id)."""
        item = RateLimitItemPerMinute(per_minute)
        try:
            allowed = self._strategy.hit(item, bucket)
            stats = self._strategy.get_window_stats(item, bucket)
        except Exception:
            log.warning("rate limit storage failed; request let through", exc_info=True)
            return Usage(True, per_minute, per_minute, time.time() + 60)
        return Usage(allowed, per_minute, stats.remaining, stats.reset_time)
