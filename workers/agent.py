"""The agent loop: ask the model, run the tools it calls, repeat until a way out.

Ways out (finished, plan submitted, cancelled, a limit reached, a permanent provider error) are
exceptions carrying their data, caught in one place, `run()`, which turns them into an Outcome.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from workers.engines.base import (
    Message,
    ModelClient,
    ModelReply,
    ProviderError,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    UserMessage,
)
from workers.tools import ALL_TOOLS, PLAN_TOOLS, ToolOutcome


class Recorder(Protocol):
    """Where the loop writes what happens, and learns of cancels and people's messages."""

    def record_user(self, text: str) -> None: ...
    def record_reply(self, reply: ModelReply, cost_usd: float, cost_known: bool) -> None: ...
    def record_tool_result(self, call: ToolCall, outcome: ToolOutcome) -> None: ...
    def on_text(self, delta: str) -> None: ...
    def take_pending_messages(self) -> list[str]: ...
    def cancel_requested(self) -> bool: ...


class Tools(Protocol):
    """Runs the model's tool calls: the built-in Toolbox, or a chat's own tools."""

    def execute(self, call: ToolCall) -> ToolOutcome: ...


@dataclass(frozen=True)
class Limits:
    max_turns: int = 100
    budget_usd: float | None = None
    deadline: float | None = None  # time.monotonic() value
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0


@dataclass
class Outcome:
    status: str  # completed | failed | cancelled | awaiting_plan_approval
    summary: str | None = None
    plan: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class SessionEnd(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error_message or outcome.status)
        self.outcome = outcome


Pricer = Callable[[str, Usage], tuple[float, bool]]


@dataclass
class Agent:
    model: ModelClient
    tools: Tools
    recorder: Recorder
    limits: Limits
    price: Pricer
    plan_mode: bool = False
    tool_specs: Sequence[ToolSpec] | None = None  # a chat's own tools; None: the built-in ones
    sleep: Callable[[float], None] = time.sleep
    turns: int = 0
    cost_usd: float = 0.0
    last_text: str = ""
    history: list[Message] = field(default_factory=list)

    def run(self, system: str, history: list[Message]) -> Outcome:
        self.system, self.history = system, list(history)
        try:
            while True:
                self.step()
        except SessionEnd as end:
            return end.outcome

    def step(self) -> None:
        self._check_limits()
        for text in self.recorder.take_pending_messages():
            self.history.append(UserMessage(text))
        reply = self._ask_model()
        self.history.append(reply.message)
        self.last_text = reply.message.text or self.last_text
        if not reply.message.tool_calls:
            raise SessionEnd(Outcome("completed", summary=self.last_text or None))
        for call in reply.message.tool_calls:
            self._run_tool(call)

    def _ask_model(self) -> ModelReply:
        tools = self.tool_specs if self.tool_specs is not None else PLAN_TOOLS if self.plan_mode else ALL_TOOLS
        for attempt in range(self.limits.max_retries + 1):
            try:
                reply = self.model.complete(self.system, self.history, tools, self.recorder.on_text)
                break
            except ProviderError as error:
                if not error.retryable or attempt == self.limits.max_retries:
                    raise SessionEnd(Outcome("failed", error_code=error.code, error_message=error.message)) from None
                self._wait(backoff(attempt, self.limits.backoff_base, self.limits.backoff_cap, error.retry_after))
        self.turns += 1
        cost, known = self.price(reply.model, reply.usage)
        self.cost_usd += cost
        self.recorder.record_reply(reply, cost, known)
        return reply

    def _run_tool(self, call: ToolCall) -> None:
        if self.recorder.cancel_requested():
            self._record_result(call, ToolOutcome("cancelled before it ran", is_error=True))
            raise SessionEnd(Outcome("cancelled", summary=self.last_text or None))
        outcome = self.tools.execute(call)
        self._record_result(call, outcome)
        if outcome.finished is not None:
            raise SessionEnd(Outcome("completed", summary=outcome.finished))
        if outcome.plan is not None:
            raise SessionEnd(Outcome("awaiting_plan_approval", plan=outcome.plan, summary=outcome.plan))

    def _record_result(self, call: ToolCall, outcome: ToolOutcome) -> None:
        self.history.append(ToolResult(call.id, outcome.output, outcome.is_error))
        self.recorder.record_tool_result(call, outcome)

    def _check_limits(self) -> None:
        if self.recorder.cancel_requested():
            raise SessionEnd(Outcome("cancelled", summary=self.last_text or None))
        if self.turns >= self.limits.max_turns:
            raise self._failure("max_turns", f"stopped after {self.turns} model turns (max_turns)")
        if self.limits.budget_usd is not None and self.cost_usd >= self.limits.budget_usd:
            raise self._failure("budget_exceeded",
                                f"spent ${self.cost_usd:.4f} of a ${self.limits.budget_usd:.2f} budget")
        if self.limits.deadline is not None and time.monotonic() >= self.limits.deadline:
            raise self._failure("timeout", "the session ran past its column's timeoutSeconds")

    def _failure(self, code: str, message: str) -> SessionEnd:
        return SessionEnd(Outcome("failed", summary=self.last_text or None, error_code=code, error_message=message))

    def _wait(self, seconds: float) -> None:
        """Sleep in short steps so a cancel during a back-off takes effect at once."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.recorder.cancel_requested():
                raise SessionEnd(Outcome("cancelled", summary=self.last_text or None))
            self.sleep(min(left, 0.2))


def backoff(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Exponential back-off with full jitter; a server's Retry-After is a floor, never ignored."""
    delay = random.uniform(0, min(cap, base * 2**attempt))
    return max(delay, retry_after or 0.0)
