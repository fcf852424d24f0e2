"""The model client of an API engine, built from a resolved key: one place for card sessions and
chats (pre-sessions, the project assistant). Kept apart from `base` so that importing the message
types does not import both SDKs."""

from __future__ import annotations

from workers.engines.anthropic_engine import AnthropicClient
from workers.engines.base import ModelClient
from workers.engines.openai_engine import OpenAIClient

API_ENGINES = ("anthropic", "openai")


def api_client(engine: str, secret: str, model: str | None, base_url: str | None) -> ModelClient:
    """`engine` is "anthropic" or "openai"; with `base_url` the openai client drives any
    compatible server."""
    if engine == "anthropic":
        return AnthropicClient(secret, model, base_url)
    return OpenAIClient(secret, model, base_url)
