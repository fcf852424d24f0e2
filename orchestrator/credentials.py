"""Provider credentials: stored encrypted, shown masked, visible to their owner and admins."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgentSession, Credential
from orchestrator.access import Actor
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.security import Keyring, mask_secret
from orchestrator.usage import usage_where

PROVIDERS = ("anthropic", "openai", "claude-code", "codex")
# The CLI agents use the same keys as the APIs their vendors serve.
API_FAMILY = {"anthropic": "anthropic", "claude-code": "anthropic", "openai": "openai", "codex": "openai"}
VERIFY_TIMEOUT_SECONDS = 10.0


def list_credentials(session: Session, actor: Actor) -> list[Credential]:
    query = select(Credential).order_by(Credential.created_at)
    if not actor.is_admin:
        query = query.where(Credential.owner_id == actor.user_id)
    return list(session.scalars(query))


def require_usable_credential(session: Session, actor: Actor, credential_id: str) -> Credential:
    """A credential the actor may see and attach; anyone else's is reported as not found."""
    credential = session.get(Credential, credential_id)
    if credential is None or not (actor.is_admin or credential.owner_id == actor.user_id):
        raise NotFound.of("credential", credential_id)
    return credential


def create_credential(
    session: Session, actor: Actor, keyring: Keyring, fields: dict[str, Any]
) -> Credential:
    _check_provider(fields["provider"])
    credential = Credential(
        name=fields["name"],
        provider=fields["provider"],
        base_url=fields.get("baseUrl"),
        model=fields.get("model"),
        owner_id=actor.user_id,
    )
    _set_secret(credential, keyring, fields.get("apiKey"))
    session.add(credential)
    session.flush()
    return credential


def update_credential(
    session: Session, actor: Actor, keyring: Keyring, credential_id: str, fields: dict[str, Any]
) -> Credential:
    credential = require_usable_credential(session, actor, credential_id)
    if "provider" in fields:
        _check_provider(fields["provider"])
        credential.provider = fields["provider"]
    for api_name, attr in (("name", "name"), ("baseUrl", "base_url"), ("model", "model")):
        if api_name in fields:
            setattr(credential, attr, fields[api_name])
    if "apiKey" in fields:
        _set_secret(credential, keyring, fields["apiKey"])
    return credential


def delete_credential(session: Session, actor: Actor, credential_id: str) -> None:
    session.delete(require_usable_credential(session, actor, credential_id))


def reveal_secret(credential: Credential, keyring: Keyring) -> str | None:
    """The plain key, for engines and verification only; never for a response."""
    return keyring.decrypt(credential.secret_encrypted) if credential.secret_encrypted else None


def verify_credential(
    session: Session, actor: Actor, keyring: Keyring, credential_id: str
) -> dict[str, Any]:
    """Ask the provider for its model list at the credential's base URL."""
    credential = require_usable_credential(session, actor, credential_id)
    secret = reveal_secret(credential, keyring)
    if not secret:
        return {"valid": False, "error": "no API key is stored for this credential"}
    try:
        models = _list_models(API_FAMILY[credential.provider], secret, credential.base_url)
    except (anthropic.AuthenticationError, openai.AuthenticationError):
        return {"valid": False, "error": "the provider rejected the key (401 Unauthorized)"}
    except (anthropic.PermissionDeniedError, openai.PermissionDeniedError):
        return {"valid": False, "error": "the key may not list models (403 Forbidden)"}
    except (anthropic.APIConnectionError, openai.APIConnectionError):
        where = credential.base_url or "the provider's API"
        return {"valid": False, "error": f"could not connect to {where}"}
    except (anthropic.APIStatusError, openai.APIStatusError) as exc:
        return {"valid": False, "error": f"the provider answered {exc.status_code}"}
    return {"valid": True, "models": models[:50]}


def _list_models(family: str, secret: str, base_url: str | None) -> list[str]:
    options: dict[str, Any] = {"api_key": secret, "timeout": VERIFY_TIMEOUT_SECONDS, "max_retries": 0}
    if base_url:
        options["base_url"] = base_url
    client = anthropic.Anthropic(**options) if family == "anthropic" else openai.OpenAI(**options)
    with client:
        return [model.id for model in client.models.list()]


def credential_usage(session: Session, actor: Actor, credential_id: str) -> dict[str, Any]:
    require_usable_credential(session, actor, credential_id)
    totals = usage_where(session, AgentSession.credential_id == credential_id)
    return {"credentialId": credential_id, **totals}


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise InvalidInput(f"provider: must be one of {', '.join(PROVIDERS)}")


def _set_secret(credential: Credential, keyring: Keyring, secret: str | None) -> None:
    credential.secret_encrypted = keyring.encrypt(secret) if secret else None
    credential.secret_hint = mask_secret(secret) if secret else ""
