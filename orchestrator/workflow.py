"""The board's process as pure rules: which moves a board allows, which need a person's approval,
what a column requires of a card entering it, and what a custom field accepts.

Nothing here touches the database: callers pass plain values (`cards.move_card` for moves,
`orchestrator.custom_fields` for values) and every way of changing a card obeys the same rules.
A refusal is raised as a domain error carrying the code every dialect reports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import regex

from orchestrator.errors import Forbidden, InvalidInput

FIELD_TYPES = ("text", "number", "select", "multiselect", "date", "url", "user")
# Built-in card attributes a column may require, by API name.
BUILTIN_REQUIRED = ("title", "assignedAgentId", "assignedUserId", "priority", "dueDate")
# Actors that may not take a transition needing approval themselves (DESIGN.md, "Who may do what").
MACHINE_ACTORS = ("api_key", "agent")
# How long a field's regex may run on one value: long enough for any sane pattern, short enough
# that a pathological one (catastrophic backtracking) cannot hold a request and its write lock.
REGEX_TIMEOUT_SECONDS = 0.25
MAX_PATTERN_LENGTH = 1000
MAX_VALUE_LENGTH = 10_000
MAX_NUMBER = 2**53  # exact in every JSON reader


@dataclass(frozen=True)
class Transition:
    from_column_id: str
    to_column_id: str
    requires_approval: bool = False


@dataclass(frozen=True)
class FieldSpec:
    id: str
    name: str
    type: str
    options: tuple[str, ...] = ()
    validation: str | None = None


# Transitions ---------------------------------------------------------------------------------


def check_transition(
    transitions: Sequence[Transition], from_column_id: str, to_column_id: str, actor_kind: str
) -> None:
    """Refuse a move the board's transitions do not allow. No transitions: every move is allowed;
    staying in the same column (a reorder) is never a transition."""
    if not transitions or from_column_id == to_column_id:
        return
    match = next((t for t in transitions
                  if t.from_column_id == from_column_id and t.to_column_id == to_column_id), None)
    if match is None:
        raise InvalidInput(f"the board allows no transition from column {from_column_id} to {to_column_id}",
                           code="transition_not_allowed")
    if match.requires_approval and actor_kind in MACHINE_ACTORS:
        raise Forbidden(f"the transition from column {from_column_id} to {to_column_id} requires a person's "
                        "approval", code="approval_required")


def check_transition_set(transitions: Iterable[Transition], board_column_ids: set[str]) -> None:
    """A board's transitions join two different columns of that board, each pair once."""
    seen: set[tuple[str, str]] = set()
    for index, rule in enumerate(transitions):
        for name, column_id in (("fromColumnId", rule.from_column_id), ("toColumnId", rule.to_column_id)):
            if column_id not in board_column_ids:
                raise InvalidInput(f"transitions.{index}.{name}: {column_id} is not a column of this board")
        pair = (rule.from_column_id, rule.to_column_id)
        if pair[0] == pair[1]:
            raise InvalidInput(f"transitions.{index}: a transition joins two different columns")
        if pair in seen:
            raise InvalidInput(f"transitions.{index}: the transition {pair[0]} -> {pair[1]} is listed twice")
        seen.add(pair)


# Required fields -----------------------------------------------------------------------------


def missing_required_fields(required: Iterable[str], values: Mapping[str, Any]) -> list[str]:
    """The required names whose value is empty: None, blank text, an empty list, or priority none.
    `values` holds the built-ins by API name and custom fields by field id."""
    return [name for name in required if _is_empty(name, values.get(name))]


def check_required_fields(required: Iterable[str], values: Mapping[str, Any], column_name: str) -> None:
    missing = missing_required_fields(required, values)
    if missing:
        raise InvalidInput(f"column {column_name!r} requires these fields to be filled: {', '.join(missing)}",
                           code="required_fields_missing")


def _is_empty(name: str, value: Any) -> bool:
    if name == "priority":
        return value in (None, "none", 0)
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {}


# Custom fields -------------------------------------------------------------------------------


def compile_validation(pattern: str | None) -> regex.Pattern[str] | None:
    """A field's regex, refused (400 naming `validation`) when it does not compile."""
    if pattern is None or pattern == "":
        return None
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidInput(f"validation: a pattern may be at most {MAX_PATTERN_LENGTH} characters")
    try:
        return regex.compile(pattern, flags=regex.VERSION0)
    except (regex.error, ValueError, OverflowError) as error:
        raise InvalidInput(f"validation: not a valid regular expression ({error})") from None


def check_field_definition(field_type: str, options: Sequence[Any], validation: str | None) -> None:
    if field_type not in FIELD_TYPES:
        raise InvalidInput(f"type: must be one of {', '.join(FIELD_TYPES)}")
    if field_type in ("select", "multiselect"):
        if not options:
            raise InvalidInput(f"options: a {field_type} field needs at least one option")
        if len(set(options)) != len(options):
            raise InvalidInput("options: each option may appear once")
    compile_validation(validation)


def check_field_value(spec: FieldSpec, value: Any) -> None:
    """Refuse a value the field does not accept. None clears a value and is always accepted; the
    regex applies to string values only (lists and other values skip it, as the seed says)."""
    if value is None:
        return
    _check_storable(spec, value)
    _check_type(spec, value)
    if isinstance(value, str) and spec.validation:
        if not matches(spec.validation, value):
            raise InvalidInput(f"fieldValues: {value!r} does not match the pattern of field {spec.name!r}",
                               code="field_validation_failed")


def matches(pattern: str, value: str) -> bool:
    """Search `value` for the pattern (as JavaScript's RegExp.test does) within the time limit;
    a pattern that runs out of time counts as not matching."""
    compiled = compile_validation(pattern)
    if compiled is None:
        return True
    try:
        return compiled.search(value, timeout=REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False


def _check_storable(spec: FieldSpec, value: Any) -> None:
    """Values are stored as JSON on SQLite and PostgreSQL alike: finite numbers, text without NUL."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and ("\x00" in item or len(item) > MAX_VALUE_LENGTH):
            raise InvalidInput(f"fieldValues: field {spec.name!r} takes text of at most {MAX_VALUE_LENGTH} "
                               "characters without NUL")
        if (isinstance(item, float) and not math.isfinite(item)) or (isinstance(item, int) and abs(item) > MAX_NUMBER):
            raise InvalidInput(f"fieldValues: field {spec.name!r} takes finite numbers up to {MAX_NUMBER}")


def _check_type(spec: FieldSpec, value: Any) -> None:
    where = f"fieldValues: field {spec.name!r} ({spec.type})"
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{where} takes a number")
    elif spec.type == "select":
        if value not in spec.options:
            raise InvalidInput(f"{where} takes one of {', '.join(map(str, spec.options))}")
    elif spec.type == "multiselect":
        if not isinstance(value, list) or any(item not in spec.options for item in value):
            raise InvalidInput(f"{where} takes a list of {', '.join(map(str, spec.options))}")
    elif not isinstance(value, str):
        raise InvalidInput(f"{where} takes a string")
    elif spec.type == "date" and not _is_iso_date(value):
        raise InvalidInput(f"{where} takes an ISO-8601 date")
    elif spec.type == "url" and not _is_web_url(value):
        raise InvalidInput(f"{where} takes an http(s) URL")


def _is_iso_date(value: str) -> bool:
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parse(value)
            return True
        except ValueError:
            continue
    return False


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
