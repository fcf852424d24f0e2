"""What model usage costs: configured prices per million tokens, over built-in defaults.

A model with no known price costs 0 and its session says `costKnown: false`, rather than a
guess passing as a figure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from orchestrator.config import PriceSettings as ModelPrice
from workers.engines.base import Usage

DATED = re.compile(r"(.+?)-(\d{8}|\d{4}-\d{2}-\d{2}|latest)")
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-opus-4-1": ModelPrice(input=15, output=75, cache_read=1.5, cache_write=18.75),
    "claude-opus-4": ModelPrice(input=15, output=75, cache_read=1.5, cache_write=18.75),
    "claude-sonnet-4-5": ModelPrice(input=3, output=15, cache_read=0.3, cache_write=3.75),
    "claude-sonnet-4": ModelPrice(input=3, output=15, cache_read=0.3, cache_write=3.75),
    "claude-haiku-4-5": ModelPrice(input=1, output=5, cache_read=0.1, cache_write=1.25),
    "gpt-5": ModelPrice(input=1.25, output=10, cache_read=0.125),
    "gpt-5-mini": ModelPrice(input=0.25, output=2, cache_read=0.025),
    "gpt-5-nano": ModelPrice(input=0.05, output=0.4, cache_read=0.005),
    "gpt-4.1": ModelPrice(input=2, output=8, cache_read=0.5),
    "gpt-4.1-mini": ModelPrice(input=0.4, output=1.6, cache_read=0.1),
    "gpt-4o": ModelPrice(input=2.5, output=10, cache_read=1.25),
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.6, cache_read=0.075),
}


def find_price(model: str, configured: Mapping[str, ModelPrice]) -> ModelPrice | None:
    """The exact name, or a dated release of it (claude-sonnet-4-5-20250929, gpt-4o-2024-08-06).

    Only a date may follow a known name: claude-sonnet-4-6 is not priced as claude-sonnet-4.
    """
    prices = {**DEFAULT_PRICES, **configured}
    if model in prices:
        return prices[model]
    dated = DATED.fullmatch(model)
    return prices.get(dated.group(1)) if dated else None


def cost_of(model: str, usage: Usage, configured: Mapping[str, ModelPrice]) -> tuple[float, bool]:
    price = find_price(model, configured)
    if price is None:
        return 0.0, False
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
    )
    return total / 1_000_000, True
