"""Provider credentials: CRUD, secrets that never come back out, usage, visibility, and verification
against fake provider servers that the real Anthropic and OpenAI SDKs talk to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from models import AgentSession, Credential
from tests.conftest import PG_URL, Api, Users, free_port

ANTHROPIC_KEY = "sk-ant-api03-Zq8vW1xY2z3A4b5C6d7E8f9G0h1I2j3K4l5M6n7O8p9Q"
OPENAI_KEY = "sk-proj-Tr7uV8wX9yZ0a1B2c3D4e5F6g7H8i9J0k1L2m3N4"
FAMILY = {"anthropic": "anthropic", "claude-code": "anthropic", "openai": "openai", "codex": "openai"}


def create(api: Api, name: str = "My Anthropic Key", provider: str = "anthropic", api_key: str | None = ANTHROPIC_KEY,
           **extra: Any) -> dict[str, Any]:
    body = {"name": name, "provider": provider, **extra}
    if api_key is not None:
        body["apiKey"] = api_key
    return api.post("/api/credentials", body, expect=201)


def error_of(client: FlaskClient, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


# Creating, reading, changing, deleting ---------------------------------------------------------


def test_create_answers_201_with_a_masked_key(api: Api) -> None:
    credential = create(api)
    assert credential["id"].startswith("cred_")
    assert credential["name"] == "My Anthropic Key"
    assert credential["provider"] == "anthropic"
    assert credential["apiKey"] == "sk-ant-...****"
    assert credential["hasApiKey"] is True


@pytest.mark.parametrize("provider", ["anthropic", "openai", "claude-code", "codex"])
def test_every_supported_provider_is_accepted(api: Api, provider: str) -> None:
    assert create(api, provider=provider)["provider"] == provider


@pytest.mark.parametrize("provider", ["google", "Anthropic", "", "gemini"])
def test_an_unknown_provider_is_400(client: FlaskClient, api: Api, provider: str) -> None:
    error = error_of(client, "POST", "/api/credentials", 400,
                     json={"name": "k", "provider": provider, "apiKey": ANTHROPIC_KEY})
    assert error["code"] == "validation_error"
    assert "provider" in error["message"]
    assert api.get("/api/credentials") == []


def test_name_and_provider_are_required(client: FlaskClient) -> None:
    error = error_of(client, "POST", "/api/credentials", 400, json={"apiKey": ANTHROPIC_KEY})
    assert "name" in error["message"] and "provider" in error["message"]


def test_a_credential_without_a_key(api: Api) -> None:
    credential = create(api, api_key=None)
    assert credential["apiKey"] is None
    assert credential["hasApiKey"] is False


def test_short_keys_are_masked_entirely(api: Api) -> None:
    assert create(api, api_key="sk-short")["apiKey"] == "****"


def test_list_and_get(api: Api) -> None:
    first = create(api, "first")
    second = create(api, "second", provider="openai", api_key=OPENAI_KEY, baseUrl="https://llm.example.com/v1",
                    model="gpt-x")

    assert [c["name"] for c in api.get("/api/credentials")] == ["first", "second"]
    one = api.get(f"/api/credentials/{second['id']}")
    assert one == second
    assert one["apiKey"] == "sk-proj...****"
    assert one["baseUrl"] == "https://llm.example.com/v1"
    assert one["model"] == "gpt-x"
    assert api.get(f"/api/credentials/{first['id']}")["name"] == "first"


def test_get_an_unknown_credential_is_404(client: FlaskClient) -> None:
    assert error_of(client, "GET", "/api/credentials/cred_missing", 404)["code"] == "not_found"


def test_patch_renames_and_keeps_the_key(api: Api) -> None:
    credential = create(api)
    renamed = api.patch(f"/api/credentials/{credential['id']}", {"name": "Renamed Key"})
    assert renamed["name"] == "Renamed Key"
    assert renamed["provider"] == "anthropic"
    assert renamed["apiKey"] == "sk-ant-...****"
    assert api.get(f"/api/credentials/{credential['id']}")["name"] == "Renamed Key"


def test_patch_replaces_or_clears_the_key(api: Api) -> None:
    credential = create(api)
    replaced = api.patch(f"/api/credentials/{credential['id']}", {"provider": "openai", "apiKey": OPENAI_KEY})
    assert (replaced["provider"], replaced["apiKey"]) == ("openai", "sk-proj...****")

    cleared = api.patch(f"/api/credentials/{credential['id']}", {"apiKey": None})
    assert (cleared["apiKey"], cleared["hasApiKey"]) == (None, False)


def test_patch_with_an_unknown_provider_is_400_and_changes_nothing(api: Api, client: FlaskClient) -> None:
    credential = create(api)
    error = error_of(client, "PATCH", f"/api/credentials/{credential['id']}", 400,
                     json={"name": "new name", "provider": "google"})
    assert "provider" in error["message"]
    assert api.get(f"/api/credentials/{credential['id']}") == credential


def test_delete_answers_204_and_the_credential_is_gone(api: Api, client: FlaskClient) -> None:
    credential = create(api)
    api.delete(f"/api/credentials/{credential['id']}")
    assert api.get("/api/credentials") == []
    error_of(client, "GET", f"/api/credentials/{credential['id']}", 404)
    error_of(client, "DELETE", f"/api/credentials/{credential['id']}", 404)


# The secret never comes back out ----------------------------------------------------------------


def test_no_response_ever_contains_the_key(client: FlaskClient, api: Api) -> None:
    bodies: list[str] = []

    def call(method: str, path: str, body: Any = None) -> Any:
        response = client.open(path, method=method, json=body)
        assert response.status_code != 500, response.get_data(as_text=True)
        bodies.append(response.get_data(as_text=True))
        return response.get_json()

    cred_id = call("POST", "/api/credentials",
                   {"name": "k", "provider": "anthropic", "apiKey": ANTHROPIC_KEY,
                    "baseUrl": f"http://127.0.0.1:{free_port()}"})["data"]["id"]
    call("GET", "/api/credentials")
    call("GET", f"/api/credentials/{cred_id}")
    call("PATCH", f"/api/credentials/{cred_id}", {"name": "renamed"})
    call("POST", f"/api/credentials/{cred_id}/verify")
    call("GET", f"/api/credentials/{cred_id}/usage")
    call("GET", f"/api/credentials/{cred_id}/oauth/status")
    call("PATCH", f"/api/credentials/{cred_id}", {"apiKey": OPENAI_KEY, "provider": "openai"})
    call("GET", "/api/credentials")

    for body in bodies:
        assert ANTHROPIC_KEY not in body
        assert OPENAI_KEY not in body
        assert ANTHROPIC_KEY[7:20] not in body  # nor a usable piece of it
    assert "sk-ant-...****" in bodies[1]


def test_the_database_row_holds_only_ciphertext(app: Any, api: Api) -> None:
    credential = create(api)
    with app.extensions["switchyard"].sessions() as session:
        row = session.get(Credential, credential["id"])
        stored = bytes(row.secret_encrypted)
        hint = row.secret_hint
    assert stored
    assert ANTHROPIC_KEY.encode() not in stored
    assert ANTHROPIC_KEY[7:].encode() not in stored
    assert hint == "sk-ant-...****"


@pytest.mark.skipif(bool(PG_URL), reason="reads the SQLite file itself")
def test_the_database_file_never_holds_the_key_in_plain_text(app: Any, api: Api, database_url: str) -> None:
    credential = create(api)
    api.patch(f"/api/credentials/{credential['id']}", {"name": "renamed"})
    create(api, "second", provider="openai", api_key=OPENAI_KEY)
    app.extensions["switchyard"].engine.dispose()  # let SQLite fold its write-ahead log back

    db_path = Path(make_url(database_url).database or "")
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    for path in files:
        content = path.read_bytes()
        assert ANTHROPIC_KEY.encode() not in content, path
        assert OPENAI_KEY.encode() not in content, path
        assert ANTHROPIC_KEY[7:].encode() not in content, path


# Usage ------------------------------------------------------------------------------------------


def add_session(app: Any, project_id: str, credential_id: str | None, **tokens: Any) -> None:
    with app.extensions["switchyard"].transaction() as session:
        session.add(AgentSession(project_id=project_id, credential_id=credential_id, status="completed", **tokens))


def test_usage_counts_the_sessions_and_sums_their_tokens(app: Any, api: Api, project: dict[str, Any]) -> None:
    credential = create(api)
    other = create(api, "other")
    add_session(app, project["id"], credential["id"], input_tokens=1000, output_tokens=200,
                cache_read_tokens=50, cache_write_tokens=5, cost_usd=0.25)
    add_session(app, project["id"], credential["id"], input_tokens=300, output_tokens=40,
                cache_read_tokens=0, cache_write_tokens=7, cost_usd=0.5)
    add_session(app, project["id"], other["id"], input_tokens=99_999, output_tokens=99_999, cost_usd=9.0)
    add_session(app, project["id"], None, input_tokens=77_777)

    usage = api.get(f"/api/credentials/{credential['id']}/usage")

    assert usage["credentialId"] == credential["id"]
    assert usage["sessions"] == 2
    assert usage["inputTokens"] == 1300
    assert usage["outputTokens"] == 240
    assert usage["cacheReadTokens"] == 50
    assert usage["cacheWriteTokens"] == 12
    assert usage["costUsd"] == pytest.approx(0.75)
    assert usage["costKnown"] is True


def test_usage_of_an_unused_credential_is_zero(api: Api) -> None:
    credential = create(api)
    usage = api.get(f"/api/credentials/{credential['id']}/usage")
    assert usage["sessions"] == 0
    assert (usage["inputTokens"], usage["outputTokens"], usage["costUsd"]) == (0, 0, 0)


def test_usage_says_when_a_cost_is_unknown(app: Any, api: Api, project: dict[str, Any]) -> None:
    credential = create(api)
    add_session(app, project["id"], credential["id"], input_tokens=10, cost_known=True)
    add_session(app, project["id"], credential["id"], input_tokens=10, cost_known=False)
    assert api.get(f"/api/credentials/{credential['id']}/usage")["costKnown"] is False


def test_deleting_a_credential_in_use_detaches_it(app: Any, api: Api, project: dict[str, Any]) -> None:
    credential = create(api)
    api.put(f"/api/projects/{project['id']}/credential", {"credentialId": credential["id"]})
    add_session(app, project["id"], credential["id"], input_tokens=10)

    api.delete(f"/api/credentials/{credential['id']}")

    assert api.get(f"/api/projects/{project['id']}")["defaultCredentialId"] is None
    assert api.get(f"/api/projects/{project['id']}")["usage"]["inputTokens"] == 10


# Who sees which credentials (auth on) ----------------------------------------------------------


@dataclass
class People:
    root: Api
    admin: Api
    alice: Api
    bob: Api


@pytest.fixture
def people(api: Api, users: Users) -> People:
    root = users.setup_admin()
    users.enable_auth(root)
    admin, _ = users.register("admin@example.com", role="admin")
    alice, _ = users.register("alice@example.com")
    bob, _ = users.register("bob@example.com")
    return People(api.as_user(root), api.as_user(admin), api.as_user(alice), api.as_user(bob))


def names(api: Api) -> list[str]:
    return [c["name"] for c in api.get("/api/credentials")]


def test_users_see_only_their_own_credentials(people: People) -> None:
    create(people.alice, "alice's key")
    create(people.bob, "bob's key")
    assert names(people.alice) == ["alice's key"]
    assert names(people.bob) == ["bob's key"]


def test_admins_see_everyones_credentials(people: People) -> None:
    alices = create(people.alice, "alice's key")
    create(people.bob, "bob's key")
    assert names(people.admin) == ["alice's key", "bob's key"]
    assert names(people.root) == ["alice's key", "bob's key"]
    assert people.admin.get(f"/api/credentials/{alices['id']}")["ownerId"] == alices["ownerId"]
    assert people.admin.get(f"/api/credentials/{alices['id']}")["apiKey"] == "sk-ant-...****"


def test_the_creator_owns_the_credential(people: People) -> None:
    alice_id = people.alice.get("/api/auth/me")["id"]
    assert create(people.alice)["ownerId"] == alice_id


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "mine now"}),
        ("DELETE", "", None),
        ("POST", "/verify", None),
        ("GET", "/usage", None),
        ("GET", "/oauth/status", None),
    ],
)
def test_another_users_credential_is_not_found(people: People, method: str, suffix: str, body: Any) -> None:
    alices = create(people.alice, "alice's key")

    people.bob.call(method, f"/api/credentials/{alices['id']}{suffix}", 404, json=body)

    assert people.alice.get(f"/api/credentials/{alices['id']}")["name"] == "alice's key"


def test_an_admin_may_change_and_delete_anyones_credential(people: People) -> None:
    alices = create(people.alice, "alice's key")
    people.admin.patch(f"/api/credentials/{alices['id']}", {"name": "rotated"})
    assert names(people.alice) == ["rotated"]
    people.admin.delete(f"/api/credentials/{alices['id']}")
    assert names(people.alice) == []


def test_credentials_need_a_token_when_auth_is_on(people: People, client: FlaskClient) -> None:
    error_of(client, "GET", "/api/credentials", 401)
    error_of(client, "POST", "/api/credentials", 401, json={"name": "k", "provider": "anthropic"})


# OAuth is not offered ----------------------------------------------------------------------------


def test_oauth_init_is_501_and_says_why(client: FlaskClient) -> None:
    error = error_of(client, "POST", "/api/credentials/oauth/init", 501, json={"provider": "anthropic"})
    assert error["code"] == "oauth_not_supported"
    assert "apiKey" in error["message"]


def test_oauth_status_is_501_and_says_why(api: Api, client: FlaskClient) -> None:
    credential = create(api)
    error = error_of(client, "GET", f"/api/credentials/{credential['id']}/oauth/status", 501)
    assert error["code"] == "oauth_not_supported"
    assert "apiKey" in error["message"]


# Verification against fake providers ------------------------------------------------------------


@dataclass
class FakeProvider:
    """A provider's model-listing endpoint on loopback, answering like Anthropic or OpenAI."""

    flavour: str  # anthropic | openai | html (a web page, not an API)
    good_key: str
    port: int = 0
    seen_keys: list[str] = field(default_factory=list)
    seen_paths: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if self.flavour == "openai" else "")

    def key_sent(self, headers: Any) -> str:
        bearer = headers.get("Authorization", "").removeprefix("Bearer ")
        if self.flavour == "anthropic":
            # Anthropic takes `x-api-key`; the SDK installed here (2.x) sends `Authorization: Bearer`.
            return headers.get("x-api-key") or bearer
        return bearer

    def answer(self, key: str) -> tuple[int, dict[str, Any]]:
        if self.flavour == "html":
            return 200, {}
        if self.flavour == "anthropic":
            if key != self.good_key:
                return 401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            return 200, {"data": [{"type": "model", "id": "claude-x", "display_name": "X",
                                   "created_at": "2025-01-01T00:00:00Z"}],
                         "has_more": False, "first_id": "claude-x", "last_id": "claude-x"}
        if key != self.good_key:
            return 401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                   "param": None, "code": "invalid_api_key"}}
        return 200, {"object": "list", "data": [{"id": "gpt-x", "object": "model", "created": 0, "owned_by": "me"}]}


def handler_for(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            key = fake.key_sent(self.headers)
            fake.seen_keys.append(key)
            fake.seen_paths.append(self.path)
            status, body = fake.answer(key) if self.path.split("?")[0] == "/v1/models" else (404, {})
            payload = b"<html><body>It works!</body></html>" if fake.flavour == "html" else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html" if fake.flavour == "html" else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_provider() -> Iterator[Callable[[str, str], FakeProvider]]:
    servers: list[ThreadingHTTPServer] = []

    def start(flavour: str, good_key: str) -> FakeProvider:
        fake = FakeProvider(flavour, good_key)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(fake))
        fake.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return fake

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def key_for(provider: str) -> str:
    return ANTHROPIC_KEY if FAMILY[provider] == "anthropic" else OPENAI_KEY


def verify(api: Api, credential: dict[str, Any]) -> dict[str, Any]:
    return api.post(f"/api/credentials/{credential['id']}/verify")


@pytest.mark.parametrize("provider", ["anthropic", "claude-code", "openai", "codex"])
def test_verify_a_good_key_lists_the_models(api: Api, fake_provider: Callable[..., FakeProvider],
                                            provider: str) -> None:
    fake = fake_provider(FAMILY[provider], key_for(provider))
    credential = create(api, provider=provider, api_key=key_for(provider), baseUrl=fake.base_url)

    result = verify(api, credential)

    assert result == {"valid": True, "models": ["claude-x" if FAMILY[provider] == "anthropic" else "gpt-x"]}
    assert fake.seen_keys == [key_for(provider)]  # the real SDK sent the stored key
    assert fake.seen_paths[0].startswith("/v1/models")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_verify_a_wrong_key_is_invalid_and_mentions_401(api: Api, fake_provider: Callable[..., FakeProvider],
                                                        provider: str) -> None:
    fake = fake_provider(provider, "the-right-key-0123456789")
    credential = create(api, provider=provider, api_key=key_for(provider), baseUrl=fake.base_url)

    result = verify(api, credential)

    assert result["valid"] is False
    assert "401" in result["error"]
    assert fake.seen_keys == [key_for(provider)]
    assert key_for(provider) not in json.dumps(result)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_verify_against_a_closed_port_cannot_connect(api: Api, provider: str) -> None:
    base_url = f"http://127.0.0.1:{free_port()}" + ("/v1" if provider == "openai" else "")
    credential = create(api, provider=provider, api_key=key_for(provider), baseUrl=base_url)

    result = verify(api, credential)

    assert result["valid"] is False
    assert "could not connect" in result["error"]
    assert base_url in result["error"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_verify_against_a_server_that_is_not_the_api_is_invalid(
    api: Api, fake_provider: Callable[..., FakeProvider], provider: str
) -> None:
    fake = fake_provider("html", key_for(provider))
    base_url = f"http://127.0.0.1:{fake.port}" + ("/v1" if provider == "openai" else "")
    credential = create(api, provider=provider, api_key=key_for(provider), baseUrl=base_url)

    result = verify(api, credential)

    assert result["valid"] is False
    assert base_url in result["error"]
    assert fake.seen_paths


def test_verify_without_a_key_is_invalid(api: Api) -> None:
    credential = create(api, api_key=None, baseUrl=f"http://127.0.0.1:{free_port()}")
    result = verify(api, credential)
    assert result["valid"] is False
    assert "no API key" in result["error"]


def test_verify_uses_the_replaced_key(api: Api, fake_provider: Callable[..., FakeProvider]) -> None:
    new_key = ANTHROPIC_KEY[::-1]
    fake = fake_provider("anthropic", new_key)
    credential = create(api, baseUrl=fake.base_url)
    assert verify(api, credential)["valid"] is False

    api.patch(f"/api/credentials/{credential['id']}", {"apiKey": new_key})

    assert verify(api, credential)["valid"] is True
    assert fake.seen_keys == [ANTHROPIC_KEY, new_key]
