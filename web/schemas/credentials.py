from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from web.schemas.common import Body, Name

Provider = Literal["anthropic", "openai", "claude-code", "codex"]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), Field(pattern=r"^https?://\S+$")]
Model = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CredentialCreate(Body):
    name: Name
    provider: Provider
    apiKey: Secret | None = None
    baseUrl: Url | None = Field(None, description="an OpenAI- or Anthropic-compatible server")
    model: Model | None = Field(None, description="default model for sessions using this key")


class CredentialUpdate(Body):
    name: Name | None = None
    provider: Provider | None = None
    apiKey: Secret | None = None
    baseUrl: Url | None = None
    model: Model | None = None


class OAuthInitBody(Body):
    provider: Annotated[str, StringConstraints(min_length=1, max_length=50)]
