"""Settings: the instance's (notifications, context relay, keyboard shortcuts) and each person's
own (user settings, panel states)."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from orchestrator import user_settings
from web.context import actor, db
from web.responses import no_content, ok
from web.schemas.common import ProjectCardPath, ProjectPath
from web.schemas.user_settings import (
    ContextRelayBody,
    KeyboardShortcutsBody,
    NotificationSettingsBody,
    PanelStatesBody,
    UserSettingsBody,
)

bp = APIBlueprint("user_settings", __name__, url_prefix="/api", abp_tags=[Tag(name="Settings")],
                  abp_security=[{"bearer": []}])


@bp.get("/settings/notifications")
def get_notifications():  # type: ignore[no-untyped-def]
    return ok(user_settings.get_notifications(db()))


@bp.put("/settings/notifications")
def put_notifications(body: NotificationSettingsBody):  # type: ignore[no-untyped-def]
    return ok(user_settings.update_notifications(db(), actor(), body.changes()))


@bp.get("/settings/context-relay")
def get_context_relay():  # type: ignore[no-untyped-def]
    return ok(user_settings.get_context_relay(db()))


@bp.put("/settings/context-relay")
def put_context_relay(body: ContextRelayBody):  # type: ignore[no-untyped-def]
    return ok(user_settings.update_context_relay(db(), actor(), body.changes()))


@bp.get("/settings/keyboard-shortcuts")
def get_keyboard_shortcuts():  # type: ignore[no-untyped-def]
    return ok(user_settings.get_keyboard_shortcuts(db()))


@bp.put("/settings/keyboard-shortcuts")
def put_keyboard_shortcuts(body: KeyboardShortcutsBody):  # type: ignore[no-untyped-def]
    return ok(user_settings.put_keyboard_shortcuts(db(), actor(), body.root))


@bp.get("/user/settings")
def get_user_settings():  # type: ignore[no-untyped-def]
    return ok(user_settings.get_user_settings(db(), actor()))


@bp.put("/user/settings")
def put_user_settings(body: UserSettingsBody):  # type: ignore[no-untyped-def]
    return ok(user_settings.update_user_settings(db(), actor(), body.changes()))


@bp.get("/projects/<projectId>/panel-states")
def get_panel_states(path: ProjectPath):  # type: ignore[no-untyped-def]
    return ok(user_settings.get_panel_states(db(), actor(), path.projectId))


@bp.put("/projects/<projectId>/panel-states")
def put_panel_states(path: ProjectPath, body: PanelStatesBody):  # type: ignore[no-untyped-def]
    return ok(user_settings.put_panel_states(db(), actor(), path.projectId, body.root))


@bp.delete("/projects/<projectId>/panel-states/<cardId>")
def delete_panel_state(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    user_settings.delete_panel_state(db(), actor(), path.projectId, path.cardId)
    return no_content()
