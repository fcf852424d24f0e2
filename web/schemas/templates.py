from __future__ import annotations

from typing import Annotated

from pydantic import Field

from web.schemas.columns import ColumnPolicy, ColumnType
from web.schemas.common import Body, Name


class TemplateColumn(ColumnPolicy):
    name: Name
    columnType: ColumnType


class TemplateCreate(Body):
    name: Name
    columns: Annotated[list[TemplateColumn], Field(min_length=1, max_length=50)]


class TemplateUpdate(Body):
    name: Name | None = None
    columns: Annotated[list[TemplateColumn], Field(min_length=1, max_length=50)] | None = None
