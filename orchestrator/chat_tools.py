"""Tools of the chat sessions (pre-sessions, the project assistant), declared as pydantic models.

One model per tool gives both the JSON schema the model is shown and the check of what it sends,
so a malformed call comes back to the model as a tool error naming the field, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.errors import DomainError
from workers.engines.base import ToolCall, ToolSpec
from workers.tools import ToolOutcome

T = TypeVar("T", bound=BaseModel)


class ToolInput(BaseModel):
    """A tool's arguments: unknown keys are refused, so a misspelt field is not silently lost."""

    model_config = ConfigDict(extra="forbid")


def tool_spec(name: str, description: str, model: type[BaseModel]) -> ToolSpec:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return ToolSpec(name=name, description=description, input_schema=schema)


def run_tool(call: ToolCall, model: type[T], handler: Callable[[T], str]) -> ToolOutcome:
    """Check the call's input, run the handler; bad input and domain errors go back to the model."""
    try:
        return ToolOutcome(handler(model.model_validate(call.input)))
    except ValidationError as exc:
        return ToolOutcome(f"{call.name}: {describe(exc)}", is_error=True)
    except DomainError as exc:
        return ToolOutcome(f"{call.name} failed ({exc.code}): {exc.message}", is_error=True)


def describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        field = ".".join(str(p) for p in item["loc"]) or "input"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def unknown_tool(call: ToolCall) -> ToolOutcome:
    return ToolOutcome(f"unknown tool {call.name!r}", is_error=True)


def as_text(value: Any) -> str:
    """Tool results as compact JSON the model reads easily."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
