"""Pure rules of the runtime, as tables: prices, credential resolution, the pipeline, back-off."""

from __future__ import annotations

import pytest

from orchestrator.config import PriceSettings
from orchestrator.credentials import environment_choice, first_set
from orchestrator.pipeline import next_step
from orchestrator.pricing import cost_of, find_price
from workers.agent import backoff
from workers.engines.base import Usage


@pytest.mark.parametrize(("model", "known"), [
    ("claude-sonnet-4-5", True),
    ("claude-sonnet-4-5-20250929", True),
    ("gpt-4o-2024-08-06", True),
    ("claude-sonnet-4-6", False),  # a newer model is not priced as an older one
    ("gpt-5.5", False),
    ("my-local-llama", False),
])
def test_known_prices(model: str, known: bool) -> None:
    assert (find_price(model, {}) is not None) is known


def test_cost_adds_every_kind_of_token_per_million() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=1_000_000, cache_write_tokens=0)
    assert cost_of("claude-sonnet-4-5", usage, {}) == (pytest.approx(3 + 1.5 + 0.3), True)
    assert cost_of("unknown", usage, {}) == (0.0, False)


def test_configured_prices_win_and_name_new_models() -> None:
    configured = {"my-local-llama": PriceSettings(input=0, output=0), "gpt-4o": PriceSettings(input=1, output=1)}
    assert cost_of("my-local-llama", Usage(10, 10), configured) == (0.0, True)
    assert cost_of("gpt-4o", Usage(1_000_000, 0), configured)[0] == pytest.approx(1.0)


@pytest.mark.parametrize(("levels", "chosen"), [
    ([("card", "c1"), ("column", "c2"), ("project", "c3"), ("organization", "c4")], ("card", "c1")),
    ([("card", None), ("column", "c2"), ("project", "c3"), ("organization", None)], ("column", "c2")),
    ([("card", None), ("column", None), ("project", None), ("organization", "c4")], ("organization", "c4")),
    ([("card", None), ("column", None), ("project", None), ("organization", None)], None),
])
def test_credential_levels_in_order(levels: list[tuple[str, str | None]], chosen: tuple[str, str] | None) -> None:
    assert first_set(levels) == chosen


@pytest.mark.parametrize(("engine", "keys", "chosen"), [
    (None, {"anthropic": "a", "openai": "o"}, ("anthropic", "a")),
    (None, {"anthropic": "", "openai": "o"}, ("openai", "o")),
    ("openai", {"anthropic": "a", "openai": "o"}, ("openai", "o")),
    ("claude-code", {"anthropic": "a", "openai": ""}, ("claude-code", "a")),
    ("codex", {"anthropic": "a", "openai": ""}, None),
    (None, {"anthropic": "", "openai": ""}, None),
])
def test_environment_keys_follow_the_engine_family(engine: str | None, keys: dict[str, str],
                                                   chosen: tuple[str, str] | None) -> None:
    assert environment_choice(engine, keys) == chosen


@pytest.mark.parametrize(("steps", "current", "expected"), [
    (["backlog", "plan", "implement", "done"], "plan", "implement"),
    (["backlog", "plan", "implement", "done"], "done", None),
    (["backlog", "implement"], "review", None),
    ([], "x", None),
])
def test_next_step(steps: list[str], current: str, expected: str | None) -> None:
    assert next_step(steps, current) == expected


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert all(0 <= backoff(0, 1.0, 60, None) <= 1.0 for _ in range(50))
    assert all(0 <= backoff(10, 1.0, 60, None) <= 60 for _ in range(50))
    assert backoff(0, 1.0, 60, retry_after=7.5) >= 7.5
