from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from web.schemas.common import Body

Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class SetupBody(Body):
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] = Field(
        pattern=r"^[^@\s]+@[^@\s]+$"
    )
    password: Password
    displayName: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class RegisterBody(SetupBody):
    pass


class LoginBody(Body):
    email: Annotated[str, StringConstraints(max_length=320)]
    password: Annotated[str, StringConstraints(max_length=200)]


class AuthToggleBody(Body):
    enabled: bool


__all__ = ["AuthToggleBody", "LoginBody", "RegisterBody", "SetupBody"]
