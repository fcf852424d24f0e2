"""Typed conversation messages and the protocol every API engine implements.

Messages stay plain dataclasses inside Switchyard; each provider module turns them into its
SDK's dicts at the boundary, and its replies back into these types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class UserMessage:
    text: str


@dataclass(frozen=True)
class AssistantMessage:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    output: str
    is_error: bool = False


Message = UserMessage | AssistantMessage | ToolResult


def work_order(history: Sequence[Message]) -> str:
    """The conversation's first user message: the composed work order a session started with."""
    return next((m.text for m in history if isinstance(m, UserMessage)), "")


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class ModelReply:
    message: AssistantMessage
    usage: Usage
    model: str
    stop_reason: str
    duration_ms: int = 0
    raw: dict[str, Any] = field(default_factory=dict)


TextSink = Callable[[str], None]


class ModelClient(Protocol):
    """One request/response exchange with a model, streaming text to `on_text` as it comes."""

    def complete(
        self,
        system: str,
        messages: Sequence[Message],
        tools: Sequence[ToolSpec],
        on_text: TextSink | None = None,
    ) -> ModelReply: ...


class ProviderError(Exception):
    """A provider failure, classified: transient ones are retried, permanent ones end the session."""

    def __init__(self, code: str, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from a Retry-After header (numbers only; HTTP dates are rare from these APIs)."""
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
