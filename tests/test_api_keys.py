"""`ak_` API keys: made, listed, revealed, changed and revoked by their owner; stored encrypted and
found by a hash; scoped to boards, and never beyond what their owner may do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import ApiKey, CardHistory
from orchestrator.security import hash_key
from tests.conftest import Api
from tests.ext_support import EXT, KeyClient, first_board, make_key


def test_a_key_is_shown_at_creation_revealed_again_and_listed_without_its_secret(app, api, project) -> None:  # type: ignore[no-untyped-def]
    board = first_board(api, project)
    made = make_key(api, "CI bot", boards=[{"boardId": board["id"], "permission": "edit"}],
                    defaultProjectId=project["id"])
    assert made["key"].startswith("ak_") and len(made["key"]) > 40
    assert made["id"].startswith("key_") and made["name"] == "CI bot"
    assert made["boards"] == [{"boardId": board["id"], "permission": "edit"}]
    assert made["allBoards"] is False and made["defaultProjectId"] == project["id"]
    assert made["key"].startswith(made["prefix"]) and len(made["prefix"]) < 12

    listed = api.get("/api/api-keys")
    assert [k["id"] for k in listed] == [made["id"]]
    assert made["key"] not in str(listed) and "key" not in listed[0]
    assert api.get(f"/api/api-keys/{made['id']}/reveal") == {"id": made["id"], "key": made["key"]}

    with app.extensions["switchyard"].transaction() as db:
        row = db.get(ApiKey, made["id"])
        assert made["key"].encode() not in row.key_encrypted  # encrypted at rest
        assert row.key_hash == hash_key(made["key"]) and row.kind == "ak"


def test_a_key_is_renamed_rescoped_and_revoked(api, client, project) -> None:  # type: ignore[no-untyped-def]
    board = first_board(api, project)
    made = make_key(api, boards=[{"boardId": board["id"], "permission": "read"}])
    ext = KeyClient(client, made["key"])
    assert ext.get(f"{EXT}/boards")["data"] == [{"id": board["id"], "name": board["name"], "permission": "read"}]

    renamed = api.patch(f"/api/api-keys/{made['id']}", {"name": "Renamed", "boards": [
        {"boardId": board["id"], "permission": "edit"}]})
    assert renamed["name"] == "Renamed" and renamed["boards"][0]["permission"] == "edit"
    assert ext.get(f"{EXT}/boards")["data"][0]["permission"] == "edit"

    api.delete(f"/api/api-keys/{made['id']}")
    assert ext.error("GET", f"{EXT}/boards", 401) == "invalid_key"
    assert api.get("/api/api-keys") == []
    api.get(f"/api/api-keys/{made['id']}/reveal", expect=404)
    api.delete(f"/api/api-keys/{made['id']}", expect=404)


def test_last_use_is_recorded(api, client, project) -> None:  # type: ignore[no-untyped-def]
    made = make_key(api, allBoards=True)
    assert made["lastUsedAt"] is None
    KeyClient(client, made["key"]).get(f"{EXT}/boards")
    assert api.get("/api/api-keys")[0]["lastUsedAt"] is not None


def test_history_names_the_key_as_the_actor(app, api, client, project) -> None:  # type: ignore[no-untyped-def]
    board = first_board(api, project)
    made = make_key(api, allBoards=True)
    task = KeyClient(client, made["key"]).post(f"{EXT}/boards/{board['id']}/tasks", {"title": "From CI"}, expect=201)
    with app.extensions["switchyard"].transaction() as db:
        row = db.scalar(select(CardHistory).where(CardHistory.card_id == task["data"]["id"]))
        assert (row.actor_type, row.actor_id) == ("api_key", made["id"])


def test_bad_key_bodies_are_refused(api, project) -> None:  # type: ignore[no-untyped-def]
    board = first_board(api, project)
    api.post("/api/api-keys", {"allBoards": True}, expect=400)
    api.post("/api/api-keys", {"name": "x", "boards": [{"boardId": board["id"], "permission": "admin"}]}, expect=400)
    api.post("/api/api-keys", {"name": "x", "boards": [{"boardId": "board_nope", "permission": "read"}]}, expect=404)
    api.post("/api/api-keys", {"name": "x", "boards": [{"boardId": board["id"], "permission": "read"},
                                                       {"boardId": board["id"], "permission": "edit"}]}, expect=400)
    api.post("/api/api-keys", {"name": "x", "defaultProjectId": "proj_nope"}, expect=404)
    api.post("/api/api-keys", {"name": "x", "allBoards": "yes"}, expect=400)
    assert api.get("/api/api-keys") == []


# With auth on ----------------------------------------------------------------------------------


def _auth_on(api: Api, users: Any) -> tuple[Api, Api, str]:
    """The admin (owner of the projects made below) and a plain user; returns their Apis."""
    admin = users.setup_admin()
    users.enable_auth(admin)
    token, user_id = users.register("dev@example.com")
    return api.as_user(admin), api.as_user(token), user_id


def test_keys_belong_to_their_owner(api, users, repo) -> None:  # type: ignore[no-untyped-def]
    admin, dev, _ = _auth_on(api, users)
    admin.post("/api/projects", {"name": "P", "path": str(repo)}, expect=201)
    mine = make_key(dev, "dev key")
    theirs = make_key(admin, "admin key", allBoards=True)
    assert [k["name"] for k in dev.get("/api/api-keys")] == ["dev key"]
    dev.get(f"/api/api-keys/{theirs['id']}/reveal", expect=404)
    dev.patch(f"/api/api-keys/{theirs['id']}", {"name": "mine now"}, expect=404)
    dev.delete(f"/api/api-keys/{theirs['id']}", expect=404)
    api.as_user(None).get("/api/api-keys", expect=401)
    # A key is not a login: the native API refuses it.
    api.as_user(mine["key"]).get("/api/api-keys", expect=401)
    api.as_user(theirs["key"]).get("/api/projects", expect=401)


def test_a_key_never_exceeds_its_owners_rights(api, client, users, repo) -> None:  # type: ignore[no-untyped-def]
    admin, dev, dev_id = _auth_on(api, users)
    project = admin.post("/api/projects", {"name": "P", "path": str(repo)}, expect=201)
    board = first_board(admin, project)
    admin.post(f"/api/projects/{project['id']}/members", {"email": "dev@example.com", "role": "viewer"}, expect=201)

    # The dev may name the board (they can see it), but their key can only read: they are a viewer.
    key = make_key(dev, boards=[{"boardId": board["id"], "permission": "edit"}])
    ext = KeyClient(client, key["key"])
    assert ext.get(f"{EXT}/boards")["data"][0]["permission"] == "read"
    assert ext.error("POST", f"{EXT}/boards/{board['id']}/tasks", 403, {"title": "x"}) == "forbidden"

    # An all-boards key sees only the projects its owner sees.
    admin.post("/api/projects", {"name": "Other", "path": str(repo)}, expect=201)
    everything = KeyClient(client, make_key(dev, allBoards=True)["key"])
    assert [b["id"] for b in everything.get(f"{EXT}/boards")["data"]] == [board["id"]]

    # A key's owner who is deleted takes the key with them.
    with api.client.application.extensions["switchyard"].transaction() as db:
        from models import User
        db.delete(db.get(User, dev_id))
    assert ext.error("GET", f"{EXT}/boards", 401) == "invalid_key"


def test_a_key_made_with_auth_off_keeps_working_after_auth_is_turned_on(api, client, users, project) -> None:  # type: ignore[no-untyped-def]
    local = make_key(api, allBoards=True)
    admin = users.setup_admin()
    users.enable_auth(admin)
    ext = KeyClient(client, local["key"])
    assert len(ext.get(f"{EXT}/boards")["data"]) == 1
    assert [k["id"] for k in api.as_user(admin).get("/api/api-keys")] == [local["id"]]  # a super admin's to manage
