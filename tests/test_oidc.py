"""Single sign-on through the API, against a fake OpenID Connect provider on loopback.

The browser's part is played by the test: the Flask test client holds Switchyard's cookies, and
`requests` follows the provider's redirect, as a browser would between the two sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Setting
from tests.conftest import Api, Users, free_port
from tests.fake_oidc import FakeOidcProvider


@pytest.fixture
def provider() -> Iterator[FakeOidcProvider]:
    fake = FakeOidcProvider().start()
    yield fake
    fake.stop()


def configure(api: Api, provider: FakeOidcProvider, **extra: Any) -> dict[str, Any]:
    body = {"issuerUrl": provider.issuer, "clientId": provider.client_id,
            "clientSecret": provider.client_secret, **extra}
    return api.post("/api/settings/oidc", body)


def start_login(client: FlaskClient, query: str = "") -> str:
    """GET /api/oidc/login; the URL the browser is sent to."""
    response = client.get(f"/api/oidc/login{query}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def through_provider(authorize_url: str) -> str:
    """The browser at the provider: the callback path and query it is sent back to."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/api/oidc/callback"
    return f"{back.path}?{back.query}"


def sso_login(client: FlaskClient, query: str = "") -> Any:
    return client.get(through_provider(start_login(client, query)))


def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


# Not configured --------------------------------------------------------------------------------


def test_without_a_provider_every_route_names_the_missing_settings(api: Api, client: FlaskClient) -> None:
    assert api.get("/api/settings/oidc")["configured"] is False
    assert api.get("/api/settings/auth-status")["oidcEnabled"] is False
    for response in (client.get("/api/oidc/login"), client.post("/api/oidc/test")):
        error = error_of(response, 409)
        assert error["code"] == "oidc_not_configured"
        for setting in ("issuerUrl", "clientId", "clientSecret"):
            assert setting in error["message"]


def test_a_callback_without_a_login_in_progress_is_refused(client: FlaskClient) -> None:
    error = error_of(client.get("/api/oidc/callback?code=abc&state=xyz"), 400)
    assert error["code"] == "oidc_state_missing"


# Configuration ---------------------------------------------------------------------------------


def test_configuration_keeps_the_secret_to_itself(api: Api, app: Any, provider: FakeOidcProvider) -> None:
    shown = configure(api, provider, scopes="email profile")
    assert shown["configured"] is True
    assert shown["issuerUrl"] == provider.issuer
    assert shown["clientId"] == provider.client_id
    assert shown["hasClientSecret"] is True
    assert shown["scopes"] == "openid email profile"
    assert shown["redirectUri"] == "http://localhost/api/oidc/callback"
    assert provider.client_secret not in str(shown) + str(api.get("/api/settings/oidc"))
    assert api.get("/api/settings/auth-status")["oidcEnabled"] is True
    with app.extensions["switchyard"].transaction() as session:
        stored = session.scalar(select(Setting).where(Setting.key == "oidc"))
        assert provider.client_secret not in str(stored.value)  # encrypted at rest


@pytest.mark.parametrize(("field", "value"), [
    ("issuerUrl", "ftp://idp.example.com"),
    ("issuerUrl", "http://idp.example.com"),  # plain http only on loopback
    ("issuerUrl", "https://idp.example.com/?x=1"),
    ("issuerUrl", ""),
    ("clientId", ""),
    ("clientSecret", ""),
    ("redirectUri", "javascript:alert(1)"),
])
def test_bad_configuration_is_refused_naming_the_field(api: Api, provider: FakeOidcProvider, field: str,
                                                        value: str) -> None:
    body = {"issuerUrl": provider.issuer, "clientId": "c", "clientSecret": "s", field: value}
    response = api.client.post("/api/settings/oidc", json=body)
    assert field in error_of(response, 400)["message"]
    assert api.get("/api/settings/oidc")["configured"] is False


def test_removing_the_configuration_turns_sso_off(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    api.delete("/api/settings/oidc")
    assert api.get("/api/settings/oidc")["configured"] is False
    assert error_of(client.get("/api/oidc/login"), 409)["code"] == "oidc_not_configured"
    api.delete("/api/settings/oidc")  # removing nothing is fine


def test_the_test_route_reads_discovery_and_keys(api: Api, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    result = api.post("/api/oidc/test")
    assert result["success"] is True
    assert result["tokenEndpoint"] == f"{provider.issuer}/token"
    assert result["keys"] == 1


def test_an_unreachable_provider_is_a_502_not_a_500(api: Api, client: FlaskClient) -> None:
    api.post("/api/settings/oidc", {"issuerUrl": f"http://127.0.0.1:{free_port()}", "clientId": "c",
                                    "clientSecret": "s"})
    assert error_of(client.post("/api/oidc/test"), 502)["code"] == "oidc_discovery_failed"
    assert error_of(client.get("/api/oidc/login"), 502)["code"] == "oidc_discovery_failed"


def test_a_discovery_document_for_another_issuer_is_refused(api: Api, client: FlaskClient,
                                                            provider: FakeOidcProvider) -> None:
    configure(api, provider)
    provider.discovery_issuer = "https://impostor.example.com"
    error = error_of(client.get("/api/oidc/login"), 502)
    assert "impostor" in error["message"]


# The login flow --------------------------------------------------------------------------------


def test_login_creates_a_user_and_issues_a_switchyard_token(api: Api, client: FlaskClient,
                                                            provider: FakeOidcProvider) -> None:
    configure(api, provider)
    authorize_url = start_login(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{provider.issuer}/authorize?")
    assert query["client_id"] == [provider.client_id]
    assert query["redirect_uri"] == ["http://localhost/api/oidc/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
    assert query["state"][0] and query["nonce"][0]

    response = client.get(through_provider(authorize_url))
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()["data"]
    assert data["user"]["email"] == "sso.user@example.com"
    assert data["user"]["displayName"] == "Sso User"
    assert data["user"]["role"] == "user"
    me = api.as_user(data["token"]).get("/api/auth/me")
    assert me["id"] == data["user"]["id"]

    token_request = provider.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["code_verifier"]  # PKCE
    assert token_request["authorization"].startswith("Basic ")  # the client secret, as configured


def test_a_second_login_finds_the_same_user(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    first = sso_login(client).get_json()["data"]["user"]
    provider.identity = {**provider.identity, "email": "changed@example.com"}  # same subject
    second = sso_login(client).get_json()["data"]["user"]
    assert second["id"] == first["id"]


def test_login_with_auth_on_works_without_a_token(api: Api, client: FlaskClient, users: Users,
                                                   provider: FakeOidcProvider) -> None:
    root = users.setup_admin()
    configure(api.as_user(root), provider)
    users.enable_auth(root)
    data = sso_login(client).get_json()["data"]
    assert api.as_user(data["token"]).get("/api/auth/me")["email"] == "sso.user@example.com"


def test_login_can_return_to_a_path_with_the_token_in_the_fragment(api: Api, client: FlaskClient,
                                                                    provider: FakeOidcProvider) -> None:
    configure(api, provider)
    response = sso_login(client, "?redirect=/boards/42")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/boards/42"
    token = location.fragment.removeprefix("token=")
    assert api.as_user(token).get("/api/auth/me")["email"] == "sso.user@example.com"


@pytest.mark.parametrize("target", ["//evil.example.com/x", "https://evil.example.com/", "boards", "/\\evil"])
def test_login_never_redirects_off_site(api: Api, client: FlaskClient, provider: FakeOidcProvider,
                                        target: str) -> None:
    configure(api, provider)
    response = client.get("/api/oidc/login", query_string={"redirect": target})
    assert "redirect" in error_of(response, 400)["message"]


def test_a_tampered_state_is_refused(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    callback = through_provider(start_login(client))
    forged = callback.replace("state=", "state=x")
    assert error_of(client.get(forged), 400)["code"] == "oidc_state_mismatch"


def test_a_callback_in_another_browser_is_refused(app: Any, api: Api, client: FlaskClient,
                                                  provider: FakeOidcProvider) -> None:
    """The state cookie ties the callback to the browser that started the login."""
    configure(api, provider)
    callback = through_provider(start_login(client))
    other_browser = app.test_client()
    assert error_of(other_browser.get(callback), 400)["code"] == "oidc_state_missing"


def test_a_callback_cannot_be_replayed(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    callback = through_provider(start_login(client))
    assert client.get(callback).status_code == 200
    client.get("/api/oidc/login")  # a fresh state cookie, but the old code and state
    assert client.get(callback).status_code == 400


@pytest.mark.parametrize("misbehaviour", ["wrong_nonce", "wrong_audience", "expired", "foreign_key"])
def test_an_id_token_that_does_not_check_out_is_refused(api: Api, client: FlaskClient, app: Any,
                                                         provider: FakeOidcProvider, misbehaviour: str) -> None:
    configure(api, provider)
    setattr(provider, misbehaviour, True)
    error = error_of(sso_login(client), 401)
    assert error["code"] == "oidc_invalid_token"
    assert api.get("/api/auth/me")["id"] == "local"  # nobody was logged in or created
    from models import User

    with app.extensions["switchyard"].transaction() as session:
        assert session.scalar(select(User).where(User.email == "sso.user@example.com")) is None


def test_a_refusal_at_the_provider_is_reported(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    provider.deny = True
    error = error_of(sso_login(client), 401)
    assert error["code"] == "oidc_denied"
    assert "the user said no" in error["message"]


def test_a_wrong_client_secret_is_reported(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider, clientSecret="not-the-secret")
    error = error_of(sso_login(client), 401)
    assert error["code"] == "oidc_token_failed"
    assert "invalid_client" in error["message"]


# Existing accounts -----------------------------------------------------------------------------


def test_a_verified_email_links_the_existing_account(api: Api, client: FlaskClient, users: Users,
                                                     provider: FakeOidcProvider) -> None:
    root = users.setup_admin("sso.user@example.com")
    configure(api.as_user(root), provider)
    user = sso_login(client).get_json()["data"]["user"]
    assert user["email"] == "sso.user@example.com"
    assert user["role"] == "super_admin"  # the same account, its role kept


def test_an_unverified_email_does_not_take_over_an_account(api: Api, client: FlaskClient, users: Users,
                                                           provider: FakeOidcProvider) -> None:
    root = users.setup_admin("sso.user@example.com")
    configure(api.as_user(root), provider)
    provider.identity = {**provider.identity, "email_verified": False}
    assert error_of(sso_login(client), 409)["code"] == "email_taken"


def test_an_identity_without_email_is_refused(api: Api, client: FlaskClient, provider: FakeOidcProvider) -> None:
    configure(api, provider)
    provider.identity = {"sub": "no-email"}
    assert "email" in error_of(sso_login(client), 400)["message"]


# Who may configure -----------------------------------------------------------------------------


def test_only_the_super_admin_configures_sso(api: Api, client: FlaskClient, users: Users,
                                             provider: FakeOidcProvider) -> None:
    root = users.setup_admin()
    admin, _ = users.register("admin@example.com", role="admin")
    users.enable_auth(root)
    body = {"issuerUrl": provider.issuer, "clientId": "c", "clientSecret": "s"}
    for token, expected in ((None, 401), (admin, 403)):
        caller = api.as_user(token)
        caller.get("/api/settings/oidc", expect=expected)
        caller.post("/api/settings/oidc", body, expect=expected)
        caller.delete("/api/settings/oidc", expect=expected)
        caller.post("/api/oidc/test", expect=expected)
    assert api.as_user(root).get("/api/settings/oidc")["configured"] is False
