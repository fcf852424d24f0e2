"""Files attached to cards."""

from __future__ import annotations

from typing import Any

from flask import request, send_file
from flask_openapi3 import APIBlueprint, Tag

from models import Attachment
from orchestrator import attachments
from orchestrator.errors import TooLarge
from web.context import actor, db, runtime
from web.responses import created, iso, ok
from web.schemas.attachments import AttachmentPath, UploadForm
from web.schemas.common import ProjectCardPath

bp = APIBlueprint("attachments", __name__, url_prefix="/api", abp_tags=[Tag(name="Card Attachments")],
                  abp_security=[{"bearer": []}])
UPLOAD_ENDPOINT = "attachments.upload_attachment"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and part headers around the file


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {"id": attachment.id, "cardId": attachment.card_id, "filename": attachment.filename,
            "contentType": attachment.content_type, "size": attachment.size,
            "url": f"/api/attachments/{attachment.id}", "createdAt": iso(attachment.created_at)}


@bp.before_request
def _upload_limit() -> None:
    """Uploads may exceed the app's general body limit, up to attachments.max_bytes; a declared
    length beyond that is refused before a byte of the body is read."""
    if request.endpoint != UPLOAD_ENDPOINT:
        return
    limit = runtime().settings.attachments.max_bytes
    request.max_content_length = limit + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        raise TooLarge(f"file: attachments may be at most {limit} bytes (attachments.max_bytes)")


@bp.get("/projects/<projectId>/cards/<cardId>/attachments")
def list_attachments(path: ProjectCardPath):  # type: ignore[no-untyped-def]
    found = attachments.list_attachments(db(), actor(), path.projectId, path.cardId)
    return ok([attachment_json(a) for a in found])


@bp.post("/projects/<projectId>/cards/<cardId>/attachments")
def upload_attachment(path: ProjectCardPath, form: UploadForm):  # type: ignore[no-untyped-def]
    attachments.require_upload(form.file)
    upload = form.file
    attachment = attachments.add_attachment(db(), actor(), runtime().settings, path.projectId, path.cardId,
                                            upload.filename, upload.mimetype, upload.stream)
    return created(attachment_json(attachment))


@bp.get("/attachments/<attachmentId>")
def download_attachment(path: AttachmentPath):  # type: ignore[no-untyped-def]
    attachment, file = attachments.open_attachment(db(), actor(), runtime().settings, path.attachmentId)
    response = send_file(file, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0)
    # Uploaded bytes are never run as this origin's page: no sniffing, no scripts, a download.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
