"""Bodies and queries of the workflow routes: transitions, custom fields, card types, and the
seed-002 card routes (flat card update and move, the agent `/mcp` variants, org card lists)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from web.schemas.cards import Priority, Title
from web.schemas.common import Body, Ident, Name, ProjectPath, UtcTime, no_nul

FieldType = Literal["text", "number", "select", "multiselect", "date", "url", "user"]
Option = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]
Pattern = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]
AgentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                      AfterValidator(no_nul)]


class TransitionItem(Body):
    fromColumnId: Ident
    toColumnId: Ident
    requiresApproval: bool = False


class TransitionsBody(Body):
    transitions: list[TransitionItem] = Field(max_length=1000, description="the whole set; [] allows every move")


class FieldCreate(Body):
    name: Name
    type: FieldType
    options: list[Option] | None = Field(None, max_length=500, description="for select and multiselect")
    validation: Pattern | None = Field(None, description="a regex string values must match")


class FieldUpdate(Body):
    name: Name | None = None
    type: FieldType | None = None
    options: list[Option] | None = Field(None, max_length=500)
    validation: Pattern | None = Field(None, description="null removes the pattern")


class FieldPath(ProjectPath):
    fieldId: Ident


class CardTypeCreate(Body):
    name: Name


class FieldValue(Body):
    fieldId: Ident
    value: Any = Field(None, description="null clears the value")


class FlatCardUpdate(Body):
    """A missing key is left unchanged; an explicit null clears it (title cannot be cleared)."""

    title: Title | None = None
    assignedAgentId: AgentName | None = None
    assignedUserId: Ident | None = None
    priority: Priority | None = None
    dueDate: UtcTime | None = None
    fieldValues: list[FieldValue] | None = Field(None, max_length=500)
    cardTypeId: Ident | None = None


class AgentCardUpdate(FlatCardUpdate):
    agentId: AgentName | None = Field(None, description="named as the actor in the card's history")


class StatusBody(Body):
    toColumnId: Ident


class AgentStatusBody(StatusBody):
    agentId: AgentName | None = None


class CardDeleteQuery(BaseModel):
    mode: Literal["archive", "permanent"] = "archive"
    force: bool = Field(False, description="permanent: delete a dirty worktree and an unmerged branch")


class OrgPath(BaseModel):
    orgId: Ident


class OrgCardsQuery(BaseModel):
    projectId: Ident | None = None
    columnId: Ident | None = None
    assignedAgentId: Annotated[str, StringConstraints(max_length=200)] | None = None
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    pageSize: Annotated[int, Field(ge=1, le=200)] = 50

NULLABLE_CARD_FIELDS = ("assignedAgentId", "assignedUserId", "priority", "dueDate", "fieldValues", "cardTypeId")
