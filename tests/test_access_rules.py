"""The pure access rules, as tables: how a user relates to a project, and what that role allows."""

from __future__ import annotations

import pytest

from orchestrator.access import (
    ANONYMOUS,
    LOCAL,
    SYSTEM,
    Actor,
    allows,
    effective_project_role,
    stronger,
)

# is_super_admin, is_owner, member_role, org_role -> effective role (None: the project is invisible)
EFFECTIVE_ROLE_CASES = [
    # nothing ties the user to the project
    (False, False, None, None, None),
    (False, False, None, "stranger", None),
    # one tie at a time
    (True, False, None, None, "owner"),
    (False, True, None, None, "owner"),
    (False, False, "viewer", None, "viewer"),
    (False, False, "editor", None, "editor"),
    (False, False, None, "member", "viewer"),
    (False, False, None, "admin", "editor"),
    # the strongest tie wins
    (False, False, "viewer", "admin", "editor"),
    (False, False, "editor", "member", "editor"),
    (False, False, "viewer", "member", "viewer"),
    (False, True, "viewer", "member", "owner"),
    (True, False, "viewer", "member", "owner"),
    (True, True, "editor", "admin", "owner"),
]


@pytest.mark.parametrize(("is_super_admin", "is_owner", "member_role", "org_role", "expected"), EFFECTIVE_ROLE_CASES)
def test_effective_project_role(
    is_super_admin: bool, is_owner: bool, member_role: str | None, org_role: str | None, expected: str | None
) -> None:
    role = effective_project_role(
        is_super_admin=is_super_admin, is_owner=is_owner, member_role=member_role, org_role=org_role
    )
    assert role == expected


# role held, role needed -> allowed
ALLOWS_CASES = [
    (None, "viewer", False),
    (None, "editor", False),
    (None, "owner", False),
    ("viewer", "viewer", True),
    ("viewer", "editor", False),
    ("viewer", "owner", False),
    ("editor", "viewer", True),
    ("editor", "editor", True),
    ("editor", "owner", False),
    ("owner", "viewer", True),
    ("owner", "editor", True),
    ("owner", "owner", True),
]


@pytest.mark.parametrize(("role", "need", "expected"), ALLOWS_CASES)
def test_allows(role: str | None, need: str, expected: bool) -> None:
    assert allows(role, need) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (None, None, None),
        ("viewer", None, "viewer"),
        (None, "editor", "editor"),
        ("viewer", "editor", "editor"),
        ("owner", "viewer", "owner"),
    ],
)
def test_stronger_picks_the_more_powerful_role(a: str | None, b: str | None, expected: str | None) -> None:
    assert stronger(a, b) == expected


# actor -> is_admin, is_super_admin
ACTOR_CASES = [
    (Actor(kind="user", user_id="u1", role="super_admin"), True, True),
    (Actor(kind="user", user_id="u1", role="admin"), True, False),
    (Actor(kind="user", user_id="u1", role="user"), False, False),
    (ANONYMOUS, False, False),
    (LOCAL, True, True),
    (SYSTEM, True, True),
]


@pytest.mark.parametrize(("actor", "is_admin", "is_super_admin"), ACTOR_CASES,
                         ids=["super_admin", "admin", "user", "anonymous", "local developer", "system"])
def test_actor_roles(actor: Actor, is_admin: bool, is_super_admin: bool) -> None:
    assert actor.is_admin is is_admin
    assert actor.is_super_admin is is_super_admin
