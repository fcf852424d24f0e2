"""Provider credentials. Secrets go in; only masks come out."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Credential
from orchestrator import credentials
from orchestrator.errors import NotSupported
from web.context import actor, db, runtime
from web.responses import created, iso, no_content, ok
from web.schemas.common import IdPath
from web.schemas.credentials import CredentialCreate, CredentialUpdate, OAuthInitBody

bp = APIBlueprint("credentials", __name__, url_prefix="/api", abp_tags=[Tag(name="Credentials")],
                  abp_security=[{"bearer": []}])

OAUTH_UNSUPPORTED = (
    "OAuth credential setup is not available in Switchyard: create the credential with an apiKey "
    "(POST /api/credentials); the CLI agents receive it through Switchyard's key proxy"
)


def credential_json(credential: Credential) -> dict[str, Any]:
    return {
        "id": credential.id,
        "name": credential.name,
        "provider": credential.provider,
        "apiKey": credential.secret_hint or None,
        "hasApiKey": credential.secret_encrypted is not None,
        "baseUrl": credential.base_url,
        "model": credential.model,
        "ownerId": credential.owner_id,
        "lastUsedAt": iso(credential.last_used_at),
        "createdAt": iso(credential.created_at),
        "updatedAt": iso(credential.updated_at),
    }


@bp.get("/credentials")
def list_credentials():  # type: ignore[no-untyped-def]
    return ok([credential_json(c) for c in credentials.list_credentials(db(), actor())])


@bp.post("/credentials")
def create_credential(body: CredentialCreate):  # type: ignore[no-untyped-def]
    fields = body.model_dump(exclude_unset=True)
    return created(credential_json(credentials.create_credential(db(), actor(), runtime().keyring, fields)))


@bp.get("/credentials/<id>")
def get_credential(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(credential_json(credentials.require_usable_credential(db(), actor(), path.id)))


@bp.patch("/credentials/<id>")
def update_credential(path: IdPath, body: CredentialUpdate):  # type: ignore[no-untyped-def]
    fields = body.changes(nullable=("apiKey", "baseUrl", "model"))
    credential = credentials.update_credential(db(), actor(), runtime().keyring, path.id, fields)
    return ok(credential_json(credential))


@bp.delete("/credentials/<id>")
def delete_credential(path: IdPath):  # type: ignore[no-untyped-def]
    credentials.delete_credential(db(), actor(), path.id)
    return no_content()


@bp.post("/credentials/<id>/verify")
def verify_credential(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(credentials.verify_credential(db(), actor(), runtime().keyring, path.id))


@bp.get("/credentials/<id>/usage")
def credential_usage(path: IdPath):  # type: ignore[no-untyped-def]
    return ok(credentials.credential_usage(db(), actor(), path.id))


@bp.post("/credentials/oauth/init")
def oauth_init(body: OAuthInitBody):  # type: ignore[no-untyped-def]
    raise NotSupported(OAUTH_UNSUPPORTED, code="oauth_not_supported")


@bp.get("/credentials/<id>/oauth/status")
def oauth_status(path: IdPath):  # type: ignore[no-untyped-def]
    credentials.require_usable_credential(db(), actor(), path.id)
    raise NotSupported(OAUTH_UNSUPPORTED, code="oauth_not_supported")
