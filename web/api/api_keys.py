"""API keys (`ak_`) of the signed-in person, for /api/ext/v1 and /tasks-api.php.

The secret is shown at creation and by `reveal`; lists show only its first characters.
"""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import ApiKey
from orchestrator import api_keys
from web.context import actor, db, runtime
from web.responses import created, iso, no_content, ok
from web.schemas.api_keys import ApiKeyCreate, ApiKeyUpdate
from web.schemas.common import IdPath

bp = APIBlueprint("api_keys", __name__, url_prefix="/api/api-keys", abp_tags=[Tag(name="API keys")],
                  abp_security=[{"bearer": []}])


def key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "allBoards": key.all_boards,
        "boards": api_keys.scope_json(key),
        "defaultProjectId": key.default_project_id,
        "defaultBoardId": key.default_board_id,
        "createdAt": iso(key.created_at),
        "lastUsedAt": iso(key.last_used_at),
    }


@bp.get("")
def list_keys():  # type: ignore[no-untyped-def]
    return ok([key_json(k) for k in api_keys.list_keys(db(), actor())])


@bp.post("")
def create_key(body: ApiKeyCreate):  # type: ignore[no-untyped-def]
    key, secret = api_keys.create_key(db(), runtime().keyring, actor(), body.model_dump())
    return created({**key_json(key), "key": secret})


@bp.get("/<id>/reveal")
def reveal_key(path: IdPath):  # type: ignore[no-untyped-def]
    return ok({"id": path.id, "key": api_keys.reveal_key(db(), runtime().keyring, actor(), path.id)})


@bp.patch("/<id>")
def update_key(path: IdPath, body: ApiKeyUpdate):  # type: ignore[no-untyped-def]
    changes = body.changes(nullable=("defaultProjectId", "defaultBoardId"))
    return ok(key_json(api_keys.update_key(db(), actor(), path.id, changes)))


@bp.delete("/<id>")
def revoke_key(path: IdPath):  # type: ignore[no-untyped-def]
    api_keys.revoke_key(db(), actor(), path.id)
    return no_content()
