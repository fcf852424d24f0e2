from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, RootModel, StringConstraints

from web.schemas.common import Body, Ident

NotificationEvent = Literal["sessionCompleted", "sessionFailed", "planSubmitted", "approvalWaiting", "commentAdded"]
ToolType = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Action = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
KeyCombo = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class UserSettingsBody(Body):
    """Any of the preferences; the ones left out keep their value."""

    theme: Literal["dark", "light", "system"] | None = None
    highContrast: bool | None = None
    sidebarExpanded: bool | None = None
    agentReasoning: bool | None = None
    statusLine: bool | None = None
    hiddenToolTypes: Annotated[list[ToolType], Field(max_length=100)] | None = None


class NotificationSettingsBody(Body):
    """Any of the settings; `events` switches single kinds on or off, the rest keep their value."""

    enabled: bool | None = None
    sound: bool | None = None
    desktop: bool | None = None
    events: dict[NotificationEvent, bool] | None = None


class ContextRelayBody(Body):
    mode: Literal["summary", "none"] = Field(
        description="summary: each stage is told what the card's earlier stages reported; none: it is not"
    )


class KeyboardShortcutsBody(RootModel[Annotated[dict[Action, KeyCombo], Field(max_length=200)]]):
    """Every custom shortcut, action -> key combination (replaces the stored ones)."""


class PanelStatesBody(RootModel[Annotated[dict[Ident, dict[str, Any] | None], Field(max_length=500)]]):
    """Panel states by card id; a null state removes that card's entry, cards left out keep theirs."""

