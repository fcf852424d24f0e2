"""Provider credentials: stored encrypted, shown masked, visible to their owner and admins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgentSession, Card, Column, Credential, Organization, Project
from orchestrator.access import Actor
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.security import Keyring, mask_secret
from orchestrator.team import execution as team_execution
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
    # The SDKs take seconds to import; only this function needs them, so the server starts fast.
    import anthropic
    import openai

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
    except (anthropic.APIError, openai.APIError, AttributeError, TypeError, ValueError):
        # The SDKs fail this way on a server that is not their API (an HTML page at baseUrl).
        where = credential.base_url or "the provider's API"
        return {"valid": False, "error": f"{where} did not answer like the provider's API"}
    return {"valid": True, "models": models[:50]}


def _list_models(family: str, secret: str, base_url: str | None) -> list[str]:
    import anthropic
    import openai

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


# Resolution for a session ---------------------------------------------------------------------

LEVELS = ("card", "column", "project", "organization")
ENGINE_FOR_PROVIDER = {"anthropic": "anthropic", "openai": "openai", "claude-code": "claude-code", "codex": "codex"}
ENV_FAMILY_ORDER = ("anthropic", "openai")


@dataclass(frozen=True)
class ResolvedCredential:
    level: str  # card | column | project | organization | environment
    engine: str
    secret: str
    base_url: str | None = None
    model: str | None = None
    credential_id: str | None = None


def first_set(candidates: Sequence[tuple[str, str | None]]) -> tuple[str, str] | None:
    """The first level that names a credential, in resolution order."""
    for level, credential_id in candidates:
        if credential_id:
            return level, credential_id
    return None


def environment_choice(engine: str | None, keys: dict[str, str]) -> tuple[str, str] | None:
    """(engine, key) from configuration/environment: the column's engine family, else any key."""
    families = [API_FAMILY.get(engine, engine)] if engine else list(ENV_FAMILY_ORDER)
    for family in families:
        if keys.get(family):
            return (engine or family), keys[family]
    return None


def resolve_credential(
    session: Session, keyring: Keyring, env_keys: dict[str, str], card: Card | None, column: Column | None,
    project: Project,
) -> ResolvedCredential:
    """A conversation with no card (the project assistant) passes None for card and column, and
    resolution starts at the project."""
    org_default = None
    if project.organization_id:
        org = session.get(Organization, project.organization_id)
        org_default = org.default_credential_id if org else None
    levels = [(level, item.credential_id) for level, item in (("card", card), ("column", column))
              if item is not None]
    levels += [("project", project.default_credential_id), ("organization", org_default)]
    engine = column.engine if column else None
    runner = team_execution.runner_for(session, card) if card is not None else None
    if runner is not None:  # a team task's `byok` agent: its key and engine come before the column's
        levels.insert(1, ("agent", runner.credential_id))
        engine = team_execution.session_engine(runner)
    chosen = first_set(levels)
    if chosen is not None:
        credential = session.get(Credential, chosen[1])
        secret = reveal_secret(credential, keyring) if credential else None
        if credential is None or not secret:
            raise InvalidInput(f"the {chosen[0]}'s credential {chosen[1]} has no API key", code="no_credential")
        return ResolvedCredential(level=chosen[0], engine=engine or ENGINE_FOR_PROVIDER[credential.provider],
                                  secret=secret, base_url=credential.base_url, model=credential.model,
                                  credential_id=credential.id)
    if engine == "command":  # a team agent's own command needs no key; it gets none
        return ResolvedCredential(level="none", engine="command", secret="")
    from_env = environment_choice(engine, env_keys)
    if from_env is None:
        checked = ", ".join(f"the {level}" for level, _ in levels[:-1])
        raise InvalidInput(
            f"no credential found: checked {checked}, the organization default "
            "and the configuration/environment (ANTHROPIC_API_KEY, OPENAI_API_KEY)", code="no_credential")
    return ResolvedCredential(level="environment", engine=from_env[0], secret=from_env[1])
