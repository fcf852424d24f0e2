"""The openai engine: a Chat Completions tool loop; with a base URL it drives any compatible
server (Ollama, vLLM, LM Studio, OpenRouter, Gemini's OpenAI endpoint)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import openai

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

DEFAULT_MODEL = "gpt-5.5"


class OpenAIClient:
    def __init__(self, api_key: str, model: str | None = None, base_url: str | None = None,
                 timeout: float = 600.0) -> None:
        options: dict[str, Any] = {"api_key": api_key, "max_retries": 0, "timeout": timeout}
        if base_url:
            options["base_url"] = base_url
        self.sdk = openai.OpenAI(**options)
        self.model = model or DEFAULT_MODEL

    def complete(self, system: str, messages: Sequence[Message], tools: Sequence[ToolSpec],
                 on_text: TextSink | None = None) -> ModelReply:
        started = time.monotonic()
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, *to_openai(messages)],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            request["tools"] = [_tool(t) for t in tools]
        try:
            stream = self.sdk.chat.completions.create(**request)
            return _collect(stream, on_text, self.model, started)
        except openai.APIError as exc:
            raise classify(exc) from None


def to_openai(messages: Sequence[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, UserMessage):
            out.append({"role": "user", "content": message.text})
        elif isinstance(message, ToolResult):
            out.append({"role": "tool", "tool_call_id": message.call_id,
                        "content": message.output or "(no output)"})
        else:
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {"id": c.id, "type": "function",
                     "function": {"name": c.name, "arguments": json.dumps(c.input)}}
                    for c in message.tool_calls
                ]
            out.append(entry)
    return out


def _tool(spec: ToolSpec) -> dict[str, Any]:
    return {"type": "function",
            "function": {"name": spec.name, "description": spec.description, "parameters": spec.input_schema}}


def _collect(stream: Any, on_text: TextSink | None, model: str, started: float) -> ModelReply:
    """Assemble the streamed deltas: text, tool calls by index, and the closing usage chunk."""
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    usage = Usage()
    stop_reason = ""
    for chunk in stream:
        model = chunk.model or model
        if chunk.usage is not None:
            usage = _usage(chunk.usage)
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
                if on_text is not None:
                    on_text(delta.content)
            for part in delta.tool_calls or []:
                call = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = part.id or call["id"]
                if part.function is not None:
                    call["name"] += part.function.name or ""
                    call["arguments"] += part.function.arguments or ""
            stop_reason = choice.finish_reason or stop_reason
    tool_calls = tuple(
        ToolCall(id=c["id"] or f"call_{i}", name=c["name"], input=_arguments(c["arguments"]))
        for i, c in sorted(calls.items())
    )
    return ModelReply(
        message=AssistantMessage(text="".join(text), tool_calls=tool_calls),
        usage=usage, model=model, stop_reason=stop_reason,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _arguments(raw: str) -> dict[str, Any]:
    """Tool arguments as a dict; malformed JSON reaches the tool as {"_raw": …} and fails there."""
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": raw}


def _usage(usage: Any) -> Usage:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", 0) or 0
    return Usage(input_tokens=(usage.prompt_tokens or 0) - cached, output_tokens=usage.completion_tokens or 0,
                 cache_read_tokens=cached)


def classify(exc: openai.APIError) -> ProviderError:
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ProviderError("bad_key", f"the provider rejected the key: {exc.message}", retryable=False)
    if isinstance(exc, openai.NotFoundError):
        return ProviderError("model_not_found", f"the provider: {exc.message}", retryable=False)
    if isinstance(exc, openai.RateLimitError):
        return ProviderError("rate_limited", "rate limit reached", True, retry_after_seconds(exc.response.headers))
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            return ProviderError("provider_error", f"the provider answered {exc.status_code}", True,
                                 retry_after_seconds(exc.response.headers))
        return ProviderError("bad_request", f"the provider refused the request: {exc.message}", retryable=False)
    return ProviderError("network_error", f"could not reach the provider: {exc.message}", retryable=True)
