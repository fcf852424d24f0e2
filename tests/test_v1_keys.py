"""tb_ keys and auth for /api/v1: made at /api/keys, listed by prefix, revoked; each key sees only
its own workspace; errors and rate-limit headers as seed 004 shows them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import Api, Users
from tests.v1_helpers import agent_key, make_workspace


def test_agent_key_create_list_revoke(api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    made = api.post("/api/keys", {"workspace_id": workspace["id"], "agent_name": "builder"}, expect=201)
    assert made["key"].startswith("tb_ws") and "_sk_" in made["key"]
    assert made["workspace_id"] == workspace["id"] and made["agent_name"] == "builder"
    assert made["expires_at"] is None and made["key"].startswith(made["prefix"])
    listed = api.get(f"/api/keys/{workspace['id']}")
    assert [k["id"] for k in listed] == [made["id"]] and "key" not in listed[0]
    builder = api.as_user(made["key"])
    assert builder.get("/api/v1/workspace")["id"] == workspace["id"]
    assert api.delete(f"/api/keys/{made['id']}", expect=200)["ok"] is True
    error = builder.get("/api/v1/workspace", expect=401)
    assert error["error"] == "invalid_key" and error["message"]
    assert api.get(f"/api/keys/{workspace['id']}") == []


def test_user_key_expires_after_seven_days(api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    made = api.post("/api/keys", {"workspace_id": workspace["id"]}, expect=201)
    assert made["agent_name"] is None and made["expires_at"] is not None
    assert api.as_user(made["key"]).get("/api/v1/workspace")["id"] == workspace["id"]


def test_bad_key_and_unknown_workspace(api: Api, repo: Path) -> None:
    assert api.as_user("tb_nope").get("/api/v1/tasks", expect=401)["error"] == "invalid_key"
    error = api.post("/api/keys", {"workspace_id": "proj_missing", "agent_name": "x"}, expect=404)
    assert error["error"] == "not_found"
    assert api.post("/api/keys", {}, expect=400)["error"] == "validation_error"


def test_keys_are_isolated_per_workspace(api: Api, make_repo: Callable[..., Path]) -> None:
    one = make_workspace(api, make_repo("one"), "One")
    two = make_workspace(api, make_repo("two"), "Two")
    first, second = agent_key(api, one["id"]), agent_key(api, two["id"])
    task = first.post("/api/v1/tasks", {"title": "Secret"}, expect=201)
    first.post("/api/v1/agents", {"name": "helper"}, expect=201)
    assert second.get("/api/v1/tasks") == []
    assert second.get(f"/api/v1/tasks/{task['id']}", expect=404)["error"] == "not_found"
    assert second.patch(f"/api/v1/tasks/{task['id']}", {"title": "x"}, expect=404)
    assert [a["name"] for a in second.get("/api/v1/agents")] == []
    assert second.get(f"/api/keys/{one['id']}", expect=404)["error"] == "not_found"
    # a header naming another workspace does not move a key out of its own
    assert second.get("/api/v1/tasks", headers={"X-Workspace-Id": one["id"]}) == []
    assert second.get("/api/v1/search?q=Secret")["tasks"] == []


def test_auth_on_needs_a_user_token_for_keys(api: Api, users: Users, repo: Path) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    admin = api.as_user(token)
    workspace = make_workspace(admin, repo)
    error = api.post("/api/keys", {"workspace_id": workspace["id"], "agent_name": "b"}, expect=401)
    assert set(error) == {"error", "message"}
    builder = agent_key(admin, workspace["id"])
    assert builder.get("/api/v1/tasks") == []
    assert builder.post("/api/keys", {"workspace_id": workspace["id"], "agent_name": "c"}, expect=403)
    other_token, _ = users.register("other@example.com")
    assert api.as_user(other_token).get(f"/api/keys/{workspace['id']}", expect=404)["error"] == "not_found"
    assert api.get("/api/site/status")["maintenance"] is False  # public


def test_logout_ends_a_user_key(api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    person = api.as_user(api.post("/api/keys", {"workspace_id": workspace["id"]}, expect=201)["key"])
    assert person.post("/api/auth/logout") == {"ok": True}
    assert person.get("/api/v1/workspace", expect=401)["error"] == "invalid_key"


def test_rate_limit_headers(client: Any, api: Api, repo: Path) -> None:
    workspace = make_workspace(api, repo)
    key = api.post("/api/keys", {"workspace_id": workspace["id"], "agent_name": "b"}, expect=201)["key"]
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "600"
    assert int(response.headers["X-RateLimit-Remaining"]) < 600 and int(response.headers["X-RateLimit-Reset"]) > 0


def test_a_viewer_reads_but_does_not_change(api: Api, users: Users, repo: Path) -> None:
    token = users.setup_admin()
    users.enable_auth(token)
    admin = api.as_user(token)
    workspace = make_workspace(admin, repo)
    agent_key(admin, workspace["id"]).post("/api/v1/tasks", {"title": "Visible"}, expect=201)
    viewer_token, _ = users.register("viewer@example.com")
    admin.post(f"/api/projects/{workspace['id']}/members", {"email": "viewer@example.com"}, expect=201)
    viewer = api.as_user(viewer_token)
    made = viewer.post("/api/keys", {"workspace_id": workspace["id"]}, expect=403)
    assert made["error"] == "forbidden"
    header = {"X-Workspace-Id": workspace["id"]}
    assert [t["title"] for t in viewer.get("/api/v1/tasks", headers=header)] == ["Visible"]
    assert viewer.post("/api/v1/tasks", {"title": "No"}, headers=header, expect=403)["error"] == "forbidden"
    assert viewer.post("/api/v1/agents", {"name": "x"}, headers=header, expect=403)["error"] == "forbidden"
    assert viewer.post("/api/v1/workspace/user-tasks", {"title": "x"}, headers=header, expect=403)


def test_audit_log_records_key_use_refusals_and_logout(api: Api, repo: Path, caplog: Any) -> None:
    workspace = make_workspace(api, repo)["id"]
    made = api.post("/api/keys", {"workspace_id": workspace, "agent_name": "builder"}, expect=201)
    mine = api.post("/api/keys", {"workspace_id": workspace}, expect=201)
    builder, person = api.as_user(made["key"]), api.as_user(mine["key"])
    builder.get("/api/v1/tasks")
    builder.get("/api/v1/tasks")  # within the minute: counted once
    api.delete(f"/api/keys/{made['id']}", expect=200)
    builder.get("/api/v1/tasks", expect=401)
    person.post("/api/auth/logout")
    person.get("/api/v1/tasks", expect=401)
    api.as_user("tb_wsdeadbeef_sk_unknown").get("/api/v1/tasks", expect=401)

    logs = api.get("/api/v1/audit-logs", headers={"X-Workspace-Id": workspace})
    actions = [(log["action"], log["detail"].get("key_id")) for log in reversed(logs)]
    assert actions.count(("key.used", made["id"])) == 1
    refused = [log for log in logs if log["action"] == "auth.failed"]
    assert {(log["detail"]["key_id"], log["detail"]["reason"]) for log in refused} == {
        (made["id"], "revoked"), (mine["id"], "revoked")}
    assert ("auth.logout", mine["id"]) in actions and ("key.revoked", made["id"]) in actions
    # an unknown key has no workspace: the service log names the address, never the secret
    assert "refused an unknown tb_ key" in caplog.text and "unknown" not in str(refused)
    assert "tb_wsdeadbeef_sk_unknown" not in caplog.text
    assert made["key"] not in str(logs) and mine["key"] not in str(logs)
