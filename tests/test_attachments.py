"""Card attachments through the API: multipart upload with a size limit, download, removal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from orchestrator.config import Settings, load_settings
from tests.conftest import Api, Users

LIMIT = 1000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(None, data_dir=tmp_path / "data", **{"database.url": database_url,
                                                               "attachments.max_bytes": LIMIT})


@pytest.fixture
def card(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.post(f"/api/projects/{project['id']}/cards", {"title": "With files"}, expect=201)


def attachments_url(card: dict[str, Any]) -> str:
    return f"/api/projects/{card['projectId']}/cards/{card['id']}/attachments"


def upload(client: FlaskClient, card: dict[str, Any], content: bytes, filename: str = "screenshot.png",
           content_type: str | None = "image/png", token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    file = (io.BytesIO(content), filename, content_type) if content_type else (io.BytesIO(content), filename)
    return client.post(attachments_url(card), data={"file": file}, content_type="multipart/form-data",
                       headers=headers)


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


def test_upload_list_and_download(api: Api, client: FlaskClient, card: dict[str, Any], settings: Settings) -> None:
    response = upload(client, card, PNG)
    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()["data"]
    assert {k: made[k] for k in ("filename", "contentType", "size")} == {
        "filename": "screenshot.png", "contentType": "image/png", "size": len(PNG)}
    assert made["id"].startswith("att_")
    assert api.get(attachments_url(card)) == [made]
    assert stored_files(settings) == [settings.data_dir / "attachments" / card["id"] / made["id"]]

    download = client.get(f"/api/attachments/{made['id']}")
    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"] == "attachment; filename=screenshot.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("filename", "content_type", "shown_name", "shown_type"), [
    ("notes.txt", None, "notes.txt", "text/plain"),                       # guessed from the name
    ("data.bin", "application/octet-stream", "data.bin", "application/octet-stream"),
    ("../../etc/passwd", "text/plain", "passwd", "text/plain"),            # no folders in names
    ("..", "text/plain", "file", "text/plain"),
    ("page.html", "text/html; charset=utf-8", "page.html", "text/html"),
])
def test_names_and_types_are_made_safe(client: FlaskClient, card: dict[str, Any], filename: str,
                                       content_type: str | None, shown_name: str, shown_type: str) -> None:
    made = upload(client, card, b"content", filename, content_type).get_json()["data"]
    assert (made["filename"], made["contentType"]) == (shown_name, shown_type)
    download = client.get(f"/api/attachments/{made['id']}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]  # an uploaded page never runs here


def test_a_non_ascii_name_is_offered_intact(client: FlaskClient, card: dict[str, Any]) -> None:
    made = upload(client, card, b"%PDF", "résumé.pdf", "application/pdf").get_json()["data"]
    assert made["filename"] == "résumé.pdf"
    disposition = client.get(f"/api/attachments/{made['id']}").headers["Content-Disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(api: Api, client: FlaskClient, card: dict[str, Any],
                                                            settings: Settings) -> None:
    assert upload(client, card, b"x" * LIMIT).status_code == 201  # exactly the limit is fine
    error = error_of(upload(client, card, b"x" * (LIMIT + 1)), 413)
    assert error["code"] == "payload_too_large"
    assert str(LIMIT) in error["message"]
    error_of(upload(client, card, b"x" * (LIMIT * 200)), 413)  # refused by its declared length
    assert len(api.get(attachments_url(card))) == 1
    assert len(stored_files(settings)) == 1


def test_a_request_without_a_file_part_is_refused(client: FlaskClient, card: dict[str, Any]) -> None:
    assert "file" in error_of(client.post(attachments_url(card), data={}, content_type="multipart/form-data"),
                              400)["message"]
    as_text = client.post(attachments_url(card), data={"file": "not a file"}, content_type="multipart/form-data")
    assert "file" in error_of(as_text, 400)["message"]
    assert client.post(attachments_url(card), json={"file": "x"}).status_code == 400


def test_unknown_cards_and_attachments_are_not_found(api: Api, client: FlaskClient, card: dict[str, Any],
                                                     make_repo: Any) -> None:
    other = api.post("/api/projects", {"name": "Other", "path": str(make_repo("other"))}, expect=201)
    foreign = {"projectId": other["id"], "id": card["id"]}  # the card, under another project
    error_of(upload(client, foreign, PNG), 404)
    error_of(client.get(attachments_url(foreign)), 404)
    error_of(upload(client, {"projectId": card["projectId"], "id": "card_missing"}, PNG), 404)
    error_of(client.get("/api/attachments/att_missing"), 404)


def test_files_go_with_their_card(api: Api, client: FlaskClient, card: dict[str, Any], settings: Settings) -> None:
    made = upload(client, card, PNG).get_json()["data"]
    keep_card = api.post(f"/api/projects/{card['projectId']}/cards", {"title": "Keeps its file"}, expect=201)
    kept = upload(client, keep_card, b"kept", "kept.txt", "text/plain").get_json()["data"]

    api.delete(f"/api/projects/{card['projectId']}/cards/{card['id']}")

    error_of(client.get(f"/api/attachments/{made['id']}"), 404)
    assert not (settings.data_dir / "attachments" / card["id"]).exists()
    assert client.get(f"/api/attachments/{kept['id']}").data == b"kept"


def test_files_go_with_their_project(api: Api, client: FlaskClient, card: dict[str, Any], settings: Settings) -> None:
    upload(client, card, PNG)
    api.delete(f"/api/projects/{card['projectId']}")
    assert stored_files(settings) == []


def test_a_refused_card_delete_keeps_the_files(api: Api, client: FlaskClient, users: Users, card: dict[str, Any],
                                               settings: Settings) -> None:
    made = upload(client, card, PNG).get_json()["data"]
    root = users.setup_admin()
    viewer, viewer_id = users.register("viewer@example.com")
    from models import ProjectMember

    with client.application.extensions["switchyard"].transaction() as session:
        session.add(ProjectMember(project_id=card["projectId"], user_id=viewer_id, role="viewer"))
    users.enable_auth(root)

    api.as_user(viewer).delete(f"/api/projects/{card['projectId']}/cards/{card['id']}", expect=403)
    assert api.as_user(viewer).get(attachments_url(card)) == [made]  # viewers read
    assert client.get(f"/api/attachments/{made['id']}", headers={"Authorization": f"Bearer {viewer}"}).data == PNG
    error_of(upload(client, card, PNG, token=viewer), 403)  # but do not upload
    assert len(stored_files(settings)) == 1


def test_strangers_cannot_see_attachments(api: Api, client: FlaskClient, users: Users, card: dict[str, Any]) -> None:
    made = upload(client, card, PNG).get_json()["data"]
    root = users.setup_admin()
    stranger, _ = users.register("stranger@example.com")
    users.enable_auth(root)
    auth = {"Authorization": f"Bearer {stranger}"}
    error_of(client.get(f"/api/attachments/{made['id']}", headers=auth), 404)
    error_of(client.get(attachments_url(card), headers=auth), 404)
    error_of(client.get(f"/api/attachments/{made['id']}"), 401)
