from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from web.schemas.common import Body, no_nul

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), AfterValidator(no_nul)]


class OidcConfigBody(Body):
    issuerUrl: Text = Field(description="the provider's issuer; its discovery document is at "
                                        "<issuerUrl>/.well-known/openid-configuration")
    clientId: Text
    clientSecret: Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(no_nul)] = Field(
        description="stored encrypted; never returned")
    scopes: Text | None = Field(None, description="space-separated; default 'openid email profile'")
    redirectUri: Text | None = Field(None, description="where the provider sends the browser back; default "
                                                       "this server's /api/oidc/callback")


class LoginQuery(BaseModel):
    redirect: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="a path on this server to open after login, with #token=<jwt>")


class CallbackQuery(BaseModel):
    code: Annotated[str, StringConstraints(max_length=4000)] | None = None
    state: Annotated[str, StringConstraints(max_length=500)] | None = None
    error: Annotated[str, StringConstraints(max_length=500)] | None = None
    error_description: Annotated[str, StringConstraints(max_length=2000)] | None = None
