"""Files attached to cards, stored in <data_dir>/attachments/<card id>/<attachment id>.

The row and the file live and die together: a file written for a transaction that rolls back
is removed, and the files of a deleted card (or project) are removed once the deletion commits,
never before, so a refused deletion loses nothing.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from models import Attachment, Card
from orchestrator.access import Actor, require_in_project, require_project
from orchestrator.config import Settings
from orchestrator.errors import InvalidInput, NotFound, TooLarge

log = logging.getLogger(__name__)

ATTACHMENT_DIRNAME = "attachments"
CONTENT_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
CHUNK = 64 * 1024
_PENDING = "attachment_files"


def attachment_root(settings: Settings) -> Path:
    return settings.data_dir / ATTACHMENT_DIRNAME


def list_attachments(session: Session, actor: Actor, project_id: str, card_id: str) -> list[Attachment]:
    card = require_in_project(session, actor, Card, "card", project_id, card_id)
    return list(session.scalars(select(Attachment).where(Attachment.card_id == card.id)
                                .order_by(Attachment.created_at, Attachment.id)))


def add_attachment(session: Session, actor: Actor, settings: Settings, project_id: str, card_id: str,
                   filename: str | None, content_type: str | None, stream: BinaryIO) -> Attachment:
    """Store an upload; TooLarge (413) beyond attachments.max_bytes, with nothing kept."""
    card = require_in_project(session, actor, Card, "card", project_id, card_id, "editor")
    name = clean_filename(filename)
    attachment = Attachment(card_id=card.id, filename=name, content_type=pick_content_type(content_type, name),
                            size=0, storage_path="")
    session.add(attachment)
    session.flush()
    path = attachment_root(settings) / card.id / attachment.id
    _track(session, on_rollback=[path])
    attachment.size = _write(stream, path, settings.attachments.max_bytes)
    attachment.storage_path = str(path)
    log.info("card_id=%s attachment %s stored (%d bytes)", card.id, attachment.id, attachment.size)
    return attachment


def open_attachment(session: Session, actor: Actor, settings: Settings, attachment_id: str) -> tuple[Attachment, Path]:
    """The attachment and its file, if the actor may see its card's project (else not found)."""
    attachment = session.get(Attachment, attachment_id)
    card = session.get(Card, attachment.card_id) if attachment is not None else None
    try:
        if card is None:
            raise NotFound.of("attachment", attachment_id)
        require_project(session, actor, card.project_id)
    except NotFound:
        raise NotFound.of("attachment", attachment_id) from None
    path = _stored_file(settings, attachment)
    if path is None:
        raise NotFound(f"attachment {attachment_id}: its file is missing from {attachment_root(settings)}",
                       code="attachment_file_missing")
    return attachment, path


def forget_card_files(session: Session, card_id: str) -> None:
    """Remove a card's attachment files once the transaction deleting the card commits."""
    paths = session.scalars(select(Attachment.storage_path).where(Attachment.card_id == card_id)).all()
    _track(session, on_commit=[Path(p) for p in paths if p])


def forget_project_files(session: Session, project_id: str) -> None:
    """The same for every card of a project being deleted."""
    paths = session.scalars(select(Attachment.storage_path).join(Card, Card.id == Attachment.card_id)
                            .where(Card.project_id == project_id)).all()
    _track(session, on_commit=[Path(p) for p in paths if p])


def clean_filename(raw: str | None) -> str:
    """The name to show and to offer on download: no folders, no control characters."""
    name = re.split(r"[/\\]", raw or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        return "file"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:250 - len(ext)]}.{ext}" if dot and len(ext) < 20 else name[:255]
    return name


def pick_content_type(declared: str | None, filename: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if CONTENT_TYPE.match(declared) and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _write(stream: BinaryIO, path: Path, limit: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        raise TooLarge(f"file: attachments may be at most {limit} bytes (attachments.max_bytes)")
    return size


def _stored_file(settings: Settings, attachment: Attachment) -> Path | None:
    """The stored path, or the same file under the current data directory after a move."""
    root = attachment_root(settings).resolve()
    stored = Path(attachment.storage_path)
    for candidate in (stored, root / stored.parent.name / stored.name):
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if root in real.parents and real.is_file():
            return real
    return None


def require_upload(value: object) -> None:
    """The form's `file` must be a file part, not a text field of that name."""
    if not hasattr(value, "stream"):
        raise InvalidInput("file: send the file as a multipart/form-data file part named 'file'")


# Files follow the transaction ------------------------------------------------------------------


def _track(session: Session, on_commit: list[Path] | None = None, on_rollback: list[Path] | None = None) -> None:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {"commit": [], "rollback": []}
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    pending["commit"].extend(on_commit or [])
    pending["rollback"].extend(on_rollback or [])


def _after_commit(session: Session) -> None:
    _remove(session.info[_PENDING]["commit"])
    _clear(session)


def _after_rollback(session: Session) -> None:
    _remove(session.info[_PENDING]["rollback"])
    _clear(session)


def _clear(session: Session) -> None:
    session.info[_PENDING] = {"commit": [], "rollback": []}


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
            if path.parent.is_dir() and not any(path.parent.iterdir()):
                path.parent.rmdir()
        except OSError:
            log.warning("could not remove attachment file %s", path, exc_info=True)

