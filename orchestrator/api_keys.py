"""`ak_` API keys: issued to a person, scoped to boards, revealed again by their owner, revoked.

A key is stored twice: encrypted with the master key (so its owner can reveal it again) and as a
SHA-256 hash that requests are looked up by (an index lookup, never a comparison of secrets). A
key acts for its owner and never beyond the owner's own rights: its permission on a board is the
weaker of its scope (all boards, or listed boards with `read` or `edit`) and the owner's role on
the board's project. With auth off the machine's developer owns keys (no owner row).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import ApiKey, Board, Project, User, utcnow
from orchestrator.access import LOCAL, Actor, project_roles, visible_projects
from orchestrator.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from orchestrator.security import Keyring, hash_key, random_token
from orchestrator.users import actor_for_user

KEY_PREFIX = "ak_"
PERMISSIONS = ("read", "edit")  # weakest first
ROLE_CAP = {"viewer": "read", "editor": "edit", "owner": "edit"}  # the owner's role bounds the key
LAST_USED_GRANULARITY = timedelta(seconds=60)  # at most one write a minute per key for last use


@dataclass(frozen=True)
class KeyGrant:
    """What a request made with a key may do; the key dialects read it after authentication."""

    key_id: str
    name: str
    owner: Actor
    all_boards: bool
    boards: dict[str, str]  # board id -> read | edit
    default_project_id: str | None
    default_board_id: str | None

    @property
    def actor(self) -> Actor:
        """Who history, comments and events name: the key, with its owner's rights."""
        return Actor(kind="api_key", user_id=self.owner.user_id, role=self.owner.role,
                     name=self.name, key_id=self.key_id)


# Storing and finding keys of either kind (`ak_` here, `tb_` in orchestrator/team/keys.py) -------


def store_key(keyring: Keyring, kind: str, secret: str, prefix_length: int = 10, **fields: Any) -> ApiKey:
    """A key row: encrypted (its owner may reveal it again) and hashed (requests find it by hash)."""
    return ApiKey(kind=kind, prefix=secret[:prefix_length], key_hash=hash_key(secret),
                  key_encrypted=keyring.encrypt(secret), **fields)


def find_key(session: Session, secret: str, kind: str) -> ApiKey | None:
    """The key of `kind` with this secret (an index lookup by hash, then a constant-time check)."""
    digest = hash_key(secret)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.kind == kind))
    return key if key is not None and hmac.compare_digest(key.key_hash, digest) else None


# Managing keys ---------------------------------------------------------------------------------


def list_keys(session: Session, actor: Actor) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.kind == "ak", ApiKey.revoked_at.is_(None), _owned_by(actor))
    return list(session.scalars(query.order_by(ApiKey.created_at)))


def create_key(session: Session, keyring: Keyring, actor: Actor, fields: dict[str, Any]) -> tuple[ApiKey, str]:
    """A new key and its secret (shown now, and again only through `reveal_key`)."""
    _require_person(actor)
    secret = KEY_PREFIX + random_token(32)
    key = store_key(keyring, "ak", secret, name=fields["name"], owner_id=actor.user_id)
    _apply_scope(session, actor, key, {"allBoards": False, "boards": [], **fields})
    session.add(key)
    session.flush()
    return key, secret


def get_key(session: Session, actor: Actor, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.kind != "ak" or key.revoked_at is not None or not _owns(actor, key):
        raise NotFound.of("API key", key_id)
    return key


def reveal_key(session: Session, keyring: Keyring, actor: Actor, key_id: str) -> str:
    return keyring.decrypt(get_key(session, actor, key_id).key_encrypted)


def update_key(session: Session, actor: Actor, key_id: str, fields: dict[str, Any]) -> ApiKey:
    key = get_key(session, actor, key_id)
    if "name" in fields:
        key.name = fields["name"]
    _apply_scope(session, actor, key, fields)
    return key


def revoke_key(session: Session, actor: Actor, key_id: str) -> None:
    """The key stops working at once; its webhooks stop with it. History keeps naming it."""
    get_key(session, actor, key_id).revoked_at = utcnow()


def scope_json(key: ApiKey) -> list[dict[str, str]]:
    return [{"boardId": entry["boardId"], "permission": entry["permission"]} for entry in key.board_permissions]


def _apply_scope(session: Session, actor: Actor, key: ApiKey, fields: dict[str, Any]) -> None:
    if fields.get("allBoards") is not None:
        key.all_boards = fields["allBoards"]
    if fields.get("boards") is not None:
        key.board_permissions = _checked_boards(session, actor, fields["boards"])
    if "defaultProjectId" in fields:
        project_id = fields["defaultProjectId"]
        if project_id and not _visible_project(session, actor, project_id):
            raise NotFound.of("project", project_id)
        key.default_project_id = project_id
    if "defaultBoardId" in fields:
        board_id = fields["defaultBoardId"]
        if board_id and not _visible_board(session, actor, board_id):
            raise NotFound.of("board", board_id)
        key.default_board_id = board_id


def _checked_boards(session: Session, actor: Actor, entries: list[dict[str, str]]) -> list[dict[str, str]]:
    ids = [entry["boardId"] for entry in entries]
    if len(set(ids)) != len(ids):
        raise InvalidInput("boards: each boardId may appear only once")
    for board_id in ids:
        if not _visible_board(session, actor, board_id):
            raise NotFound.of("board", board_id)
    return [{"boardId": e["boardId"], "permission": e["permission"]} for e in entries]


def _visible_project(session: Session, actor: Actor, project_id: str) -> bool:
    return session.scalar(select(Project.id).where(Project.id == project_id, visible_projects(actor))) is not None


def _visible_board(session: Session, actor: Actor, board_id: str) -> bool:
    query = select(Board.id).join(Project, Project.id == Board.project_id)
    return session.scalar(query.where(Board.id == board_id, visible_projects(actor))) is not None


def _require_person(actor: Actor) -> None:
    if actor.kind != "user":
        raise Forbidden("API keys are made by people; sign in to manage them")


def _owned_by(actor: Actor):  # type: ignore[no-untyped-def]
    mine = ApiKey.owner_id == actor.user_id if actor.user_id else ApiKey.owner_id.is_(None)
    if actor.is_super_admin and actor.user_id:  # super admins also see the keys made with auth off
        return or_(mine, ApiKey.owner_id.is_(None))
    return mine


def _owns(actor: Actor, key: ApiKey) -> bool:
    return key.owner_id == actor.user_id or (key.owner_id is None and actor.is_super_admin)


# Requests made with a key ----------------------------------------------------------------------


def authenticate(session: Session, secret: str) -> KeyGrant:
    """The grant of a live key, or Unauthenticated (`invalid_key`) for anything else."""
    key = find_key(session, secret, "ak") if secret.startswith(KEY_PREFIX) else None
    grant = grant_for_key(session, key) if key is not None else None
    if key is None or grant is None:
        raise Unauthenticated("the API key is not valid or has been revoked", code="invalid_key")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        key.last_used_at = now
    return grant


def grant_for_key(session: Session, key: ApiKey) -> KeyGrant | None:
    """What a live `ak_` key may do; None if it is revoked, expired or its owner is gone."""
    if key.kind != "ak" or key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= utcnow()):
        return None
    owner = LOCAL
    if key.owner_id is not None:
        user = session.get(User, key.owner_id)
        if user is None:
            return None
        owner = actor_for_user(user)
    return KeyGrant(key.id, key.name, owner, key.all_boards,
                    {e["boardId"]: e["permission"] for e in key.board_permissions},
                    key.default_project_id, key.default_board_id)


def board_permissions(session: Session, grant: KeyGrant, boards: list[Board]) -> dict[str, str | None]:
    """Each board's permission for the key: its scope, capped by its owner's project role."""
    projects = list({board.project_id: session.get(Project, board.project_id) for board in boards}.values())
    roles = project_roles(session, grant.owner, [p for p in projects if p is not None])
    permissions: dict[str, str | None] = {}
    for board in boards:
        scope = "edit" if grant.all_boards else grant.boards.get(board.id)
        cap = ROLE_CAP.get(roles.get(board.project_id) or "")
        permissions[board.id] = min(scope, cap, key=PERMISSIONS.index) if scope and cap else None
    return permissions


def require_board(session: Session, grant: KeyGrant, board_id: str, need: str = "read") -> Board:
    """The board if the key holds `need` on it: 404 if there is no such board, else 403."""
    board = session.get(Board, board_id)
    if board is None:
        raise NotFound.of("board", board_id)
    permission = board_permissions(session, grant, [board])[board.id]
    if permission is None:
        raise Forbidden(f"the API key has no access to board {board_id}")
    if PERMISSIONS.index(permission) < PERMISSIONS.index(need):
        raise Forbidden(f"the API key may only read board {board_id}; this needs edit permission")
    return board


def accessible_boards(session: Session, grant: KeyGrant) -> list[tuple[Board, str]]:
    """Every board the key may read, with its permission, in project then board order."""
    query = select(Board).join(Project, Project.id == Board.project_id).where(visible_projects(grant.owner))
    if not grant.all_boards:
        query = query.where(Board.id.in_(list(grant.boards)))
    boards = list(session.scalars(query.order_by(Project.position, Project.created_at, Board.position)))
    permissions = board_permissions(session, grant, boards)
    return [(board, permission) for board in boards if (permission := permissions[board.id])]


def grant_board(session: Session, grant: KeyGrant, board_id: str, permission: str = "edit") -> None:
    """Give the key `permission` on a board (a board the key created gets edit)."""
    key = session.get(ApiKey, grant.key_id)
    if key is None or key.all_boards:
        return
    kept = [entry for entry in key.board_permissions if entry["boardId"] != board_id]
    key.board_permissions = [*kept, {"boardId": board_id, "permission": permission}]
