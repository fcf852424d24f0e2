"""The whole instance's data as one JSON document (POST /api/export), without any secret.

Every table of the schema is exported row by row, so a table added later is exported too; what
must never leave is removed by name: password hashes, encrypted secrets and keys, key hashes,
and secret fields inside stored settings. The event outbox is left out (it is transient).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from models import Base, iso, utcnow
from orchestrator.access import Actor, require_super_admin

FORMAT = "switchyard-export"
VERSION = 1
SKIPPED_TABLES = {"events"}
SECRET_COLUMN = re.compile(r"^password|secret|_hash$|_encrypted$")
SECRET_KEY = re.compile(r"(?i)secret|password|encrypted|^token$|apikey|api_key")


def export_instance(session: Session, actor: Actor) -> dict[str, Any]:
    require_super_admin(actor, "exporting the instance's data")
    tables = {
        camel(table.name): _rows(session, table)
        for table in Base.metadata.sorted_tables
        if table.name not in SKIPPED_TABLES
    }
    return {"format": FORMAT, "version": VERSION, "exportedAt": iso(utcnow()), "tables": tables}


def _rows(session: Session, table: Table) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if not SECRET_COLUMN.search(c.name)]
    query = select(*columns).order_by(*table.primary_key.columns)
    settings = table.name == "settings"
    return [
        {camel(name): _value(value, scrub=settings) for name, value in row.items()}
        for row in session.execute(query).mappings()
        if not (settings and SECRET_KEY.search(row["key"]))
    ]


def _value(value: Any, scrub: bool = False) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if scrub:
        return without_secrets(value)
    return value


def without_secrets(value: Any) -> Any:
    """A JSON value with every key that names a secret removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if not SECRET_KEY.search(str(k))}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
