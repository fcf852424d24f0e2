"""The anthropic engine: a Messages API tool loop with streaming and prompt caching."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import anthropic

from workers.engines.base import (
    AssistantMessage,
    Message,
    ModelReply,
    ProviderError,
    TextSink,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    UserMessage,
    retry_after_seconds,
)

DEFAULT_MODEL = "claude-sonnet-4-6"


class AnthropicClient:
    def __init__(self, api_key: str, model: str | None = None, base_url: str | None = None,
                 max_tokens: int = 8192, timeout: float = 600.0) -> None:
        options: dict[str, Any] = {"api_key": api_key, "max_retries": 0, "timeout": timeout}
        if base_url:
            options["base_url"] = base_url
        self.sdk = anthropic.Anthropic(**options)
        self.model = model or DEFAULT_MODEL
        self.max_tokens = max_tokens

    def complete(self, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec],
                 on_text: TextSink | None = None) -> ModelReply:
        started = time.monotonic()
        try:
            with self.sdk.messages.stream(
                model=self.model,
                max_tokens=self.max_tokens,
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=to_anthropic(messages),
                tools=_tools(tools),
            ) as stream:
                for event in stream:
                    if event.type == "text" and on_text is not None:
                        on_text(event.text)
                final = stream.get_final_message()
        except anthropic.APIError as exc:
            raise classify(exc) from None
        return _reply(final, int((time.monotonic() - started) * 1000))


def to_anthropic(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Our messages as alternating user/assistant turns; tool results ride in user turns."""
    out: list[dict[str, Any]] = []

    def add(role: str, block: dict[str, Any]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].append(block)
        else:
            out.append({"role": role, "content": [block]})

    for message in messages:
        if isinstance(message, UserMessage):
            add("user", {"type": "text", "text": message.text})
        elif isinstance(message, ToolResult):
            add("user", {"type": "tool_result", "tool_use_id": message.call_id,
                         "content": message.output or "(no output)", "is_error": message.is_error})
        else:
            if message.text:
                add("assistant", {"type": "text", "text": message.text})
            for call in message.tool_calls:
                add("assistant", {"type": "tool_use", "id": call.id, "name": call.name, "input": call.input})
    return out


def _tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    specs = [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
    if specs:
        specs[-1]["cache_control"] = {"type": "ephemeral"}  # caches the system prompt and tools
    return specs


def _reply(final: Any, duration_ms: int) -> ModelReply:
    texts = [block.text for block in final.content if block.type == "text"]
    calls = tuple(
        ToolCall(id=block.id, name=block.name, input=dict(block.input or {}))
        for block in final.content
        if block.type == "tool_use"
    )
    usage = final.usage
    return ModelReply(
        message=AssistantMessage(text="".join(texts), tool_calls=calls),
        usage=Usage(
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            cache_read_tokens=getattr(usage, "cache_read_input_tokens", 0) or 0,
            cache_write_tokens=getattr(usage, "cache_creation_input_tokens", 0) or 0,
        ),
        model=final.model,
        stop_reason=final.stop_reason or "",
        duration_ms=duration_ms,
    )


def classify(exc: anthropic.APIError) -> ProviderError:
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return ProviderError("bad_key", f"Anthropic rejected the key: {exc.message}", retryable=False)
    if isinstance(exc, anthropic.NotFoundError):
        return ProviderError("model_not_found", f"Anthropic: {exc.message}", retryable=False)
    if isinstance(exc, anthropic.RateLimitError):
        return ProviderError("rate_limited", "Anthropic rate limit reached", True,
                             retry_after_seconds(exc.response.headers))
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code >= 500 or exc.status_code in (408, 409, 529):
            return ProviderError("provider_error", f"Anthropic answered {exc.status_code}", True,
                                 retry_after_seconds(exc.response.headers))
        return ProviderError("bad_request", f"Anthropic refused the request: {exc.message}", retryable=False)
    return ProviderError("network_error", f"could not reach Anthropic: {exc.message}", retryable=True)
