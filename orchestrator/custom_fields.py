"""Custom fields per project: their definitions, and the values cards hold for them.

A card stores its values as {fieldId: value}; clients read and send them as a list of
{fieldId, value}. The rules for what a field accepts live in `orchestrator.workflow`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Card, Column, CustomField, User
from orchestrator import workflow
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.errors import InvalidInput

# Definition attributes a client may set, by API name.
FIELD_ATTRS = {"name": "name", "type": "type", "options": "options", "validation": "validation"}


def field_spec(field: CustomField) -> workflow.FieldSpec:
    return workflow.FieldSpec(field.id, field.name, field.type, tuple(field.options or ()), field.validation)


def list_fields(session: Session, actor: Actor, project_id: str) -> list[CustomField]:
    require_project(session, actor, project_id)
    return _project_fields(session, project_id)


def get_field(session: Session, actor: Actor, project_id: str, field_id: str, need: str = "viewer") -> CustomField:
    return require_in_project(session, actor, CustomField, "field", project_id, field_id, need)


def create_field(session: Session, actor: Actor, project_id: str, fields: dict[str, Any]) -> CustomField:
    require_project(session, actor, project_id, "editor")
    options = fields.get("options") or []
    workflow.check_field_definition(fields["type"], options, fields.get("validation"))
    field = CustomField(project_id=project_id, name=fields["name"], type=fields["type"], options=options,
                        validation=fields.get("validation") or None)
    session.add(field)
    session.flush()
    return field


def update_field(
    session: Session, actor: Actor, project_id: str, field_id: str, changes: dict[str, Any]
) -> CustomField:
    """Change a definition; values cards already hold are kept (they are checked when next set)."""
    field = get_field(session, actor, project_id, field_id, "editor")
    merged = {api: changes.get(api, getattr(field, attr)) for api, attr in FIELD_ATTRS.items()}
    merged["options"] = merged["options"] or []
    workflow.check_field_definition(merged["type"], merged["options"], merged["validation"])
    for api, attr in FIELD_ATTRS.items():
        if api in changes:
            setattr(field, attr, merged[api] if api != "validation" else (merged[api] or None))
    return field


def delete_field(session: Session, actor: Actor, project_id: str, field_id: str) -> None:
    """Remove a field; columns stop requiring it. Values cards hold stay in their history."""
    field = get_field(session, actor, project_id, field_id, "editor")
    for column in session.scalars(select(Column).where(Column.project_id == project_id)):
        if field_id in (column.required_fields or []):
            column.required_fields = [name for name in column.required_fields if name != field_id]
    session.delete(field)


def check_required_names(session: Session, project_id: str, names: list[str]) -> None:
    """A column may require the built-in attributes and the project's own fields, nothing else."""
    known = {field.id for field in _project_fields(session, project_id)}
    for index, name in enumerate(names):
        if name not in workflow.BUILTIN_REQUIRED and name not in known:
            raise InvalidInput(f"requiredFields.{index}: {name!r} is neither a field of this project nor one of "
                               f"{', '.join(workflow.BUILTIN_REQUIRED)}")
    if len(set(names)) != len(names):
        raise InvalidInput("requiredFields: each field may appear once")


def merged_values(session: Session, project_id: str, current: dict[str, Any], updates: list[dict[str, Any]]) -> dict[str, Any]:
    """The card's values after `updates` ([{fieldId, value}]; a null value clears the field)."""
    specs = {field.id: field_spec(field) for field in _project_fields(session, project_id)}
    values = dict(current or {})
    for index, item in enumerate(updates):
        spec = specs.get(item["fieldId"])
        if spec is None:
            raise InvalidInput(f"fieldValues.{index}.fieldId: {item['fieldId']} is not a field of this project")
        workflow.check_field_value(spec, item.get("value"))
        if spec.type == "user" and item.get("value") is not None and session.get(User, item["value"]) is None:
            raise InvalidInput(f"fieldValues.{index}.value: no user {item['value']}")
        if item.get("value") is None:
            values.pop(spec.id, None)
        else:
            values[spec.id] = item["value"]
    return values


def values_json(card: Card) -> list[dict[str, Any]]:
    return [{"fieldId": field_id, "value": value} for field_id, value in sorted((card.field_values or {}).items())]


def _project_fields(session: Session, project_id: str) -> list[CustomField]:
    return list(session.scalars(select(CustomField).where(CustomField.project_id == project_id)
                                .order_by(CustomField.created_at, CustomField.id)))
