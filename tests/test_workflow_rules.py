"""The workflow's pure rules as tables: transitions and approvals, required fields, and what a
custom field accepts (type, options, regex with a time limit).

The regex limit uses the `regex` package's `timeout`: a pattern that backtracks without end is
stopped inside the matcher and the value counts as not matching.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from orchestrator import workflow
from orchestrator.errors import DomainError
from orchestrator.workflow import FieldSpec, Transition


def code_of(call: Any, *args: Any) -> str | None:
    try:
        call(*args)
    except DomainError as error:
        return error.code
    return None


RULES = [Transition("a", "b"), Transition("b", "c", requires_approval=True), Transition("c", "a")]


@pytest.mark.parametrize(("transitions", "source", "target", "actor", "expected"), [
    ([], "a", "c", "user", None),                          # no transitions: every move allowed
    ([], "a", "c", "agent", None),
    (RULES, "a", "b", "user", None),                       # listed
    (RULES, "a", "b", "api_key", None),
    (RULES, "a", "c", "user", "transition_not_allowed"),   # not listed
    (RULES, "b", "a", "agent", "transition_not_allowed"),  # direction matters
    (RULES, "a", "a", "agent", None),                      # a reorder within the column
    (RULES, "b", "c", "user", None),                       # approval: a person takes it
    (RULES, "b", "c", "system", None),
    (RULES, "b", "c", "agent", "approval_required"),       # machines are refused
    (RULES, "b", "c", "api_key", "approval_required"),
])
def test_transition_rule(transitions: list[Transition], source: str, target: str, actor: str,
                         expected: str | None) -> None:
    assert code_of(workflow.check_transition, transitions, source, target, actor) == expected


@pytest.mark.parametrize(("rules", "expected"), [
    ([], None),
    ([Transition("a", "b"), Transition("b", "a")], None),
    ([Transition("a", "x")], "validation_error"),               # not a column of the board
    ([Transition("a", "a")], "validation_error"),               # a loop
    ([Transition("a", "b"), Transition("a", "b", True)], "validation_error"),  # listed twice
])
def test_transition_set(rules: list[Transition], expected: str | None) -> None:
    assert code_of(workflow.check_transition_set, rules, {"a", "b"}) == expected


@pytest.mark.parametrize(("required", "values", "missing"), [
    ([], {}, []),
    (["title"], {"title": "x"}, []),
    (["title"], {"title": "  "}, ["title"]),
    (["assignedAgentId", "dueDate"], {"assignedAgentId": None, "dueDate": "2026-01-01"}, ["assignedAgentId"]),
    (["priority"], {"priority": 0}, ["priority"]),             # none counts as not set
    (["priority"], {"priority": 3}, []),
    (["field_sev"], {}, ["field_sev"]),
    (["field_sev"], {"field_sev": "P2"}, []),
    (["field_tags"], {"field_tags": []}, ["field_tags"]),
    (["field_points"], {"field_points": 0}, []),               # zero is a value
    (["title", "field_a", "field_b"], {"title": "t", "field_b": "v"}, ["field_a"]),
])
def test_required_fields(required: list[str], values: dict[str, Any], missing: list[str]) -> None:
    assert workflow.missing_required_fields(required, values) == missing
    expected = "required_fields_missing" if missing else None
    assert code_of(workflow.check_required_fields, required, values, "Review") == expected


SEVERITY = FieldSpec("field_sev", "Severity", "text", validation=r"^P[0-4]$")
STAGE = FieldSpec("field_stage", "Stage", "select", options=("alpha", "beta"))
TAGS = FieldSpec("field_tags", "Tags", "multiselect", options=("ui", "api"), validation=r"^ui$")
POINTS = FieldSpec("field_points", "Points", "number", validation=r"^\d$")


@pytest.mark.parametrize(("spec", "value", "expected"), [
    (SEVERITY, "P2", None),
    (SEVERITY, "P9", "field_validation_failed"),
    (SEVERITY, "xx P2", "field_validation_failed"),
    (SEVERITY, None, None),                                   # clearing skips every check
    (SEVERITY, ["P9"], "validation_error"),                   # a text field takes a string
    (STAGE, "beta", None),
    (STAGE, "gamma", "validation_error"),                     # outside the options
    (TAGS, ["ui", "api"], None),                              # a list skips the regex
    (TAGS, ["web"], "validation_error"),
    (POINTS, 12, None),                                       # a number skips the regex
    (POINTS, "12", "validation_error"),
    (POINTS, True, "validation_error"),
    (FieldSpec("f", "Due", "date"), "2026-06-01", None),
    (FieldSpec("f", "Due", "date"), "June", "validation_error"),
    (FieldSpec("f", "Link", "url"), "https://example.com/x", None),
    (FieldSpec("f", "Link", "url"), "javascript:alert(1)", "validation_error"),
    (FieldSpec("f", "Owner", "user"), "user_1", None),
])
def test_field_values(spec: FieldSpec, value: Any, expected: str | None) -> None:
    assert code_of(workflow.check_field_value, spec, value) == expected


@pytest.mark.parametrize(("field_type", "options", "validation", "expected"), [
    ("text", [], r"^[A-Z]+-\d+$", None),
    ("text", [], "([a-z", "validation_error"),                # does not compile
    ("text", [], None, None),
    ("select", [], None, "validation_error"),                 # a select needs options
    ("select", ["a", "a"], None, "validation_error"),
    ("multiselect", ["a", "b"], None, None),
    ("color", [], None, "validation_error"),
])
def test_field_definitions(field_type: str, options: list[str], validation: str | None,
                           expected: str | None) -> None:
    assert code_of(workflow.check_field_definition, field_type, options, validation) == expected


def test_a_pathological_pattern_is_stopped_by_the_time_limit() -> None:
    spec = FieldSpec("field_evil", "Evil", "text", validation=r"^(a+)+$")
    started = time.monotonic()

    assert code_of(workflow.check_field_value, spec, "a" * 60 + "!") == "field_validation_failed"
    assert time.monotonic() - started < 10
