"""Looking at the server's files from the API, within the contract's fences.

Browse lists directory names under one root (the home directory unless configured), never dot
directories, never the data directory: enough to pick a project's path. Read returns a file's
text only inside a registered project the caller may see, never a dot path there (`.env`,
`.git/`) and never in the data directory (the database, the master key). Symlinks are resolved
before any check, so a link cannot lead out of the fence.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Project
from orchestrator.access import Actor, visible_projects
from orchestrator.config import Settings
from orchestrator.errors import Forbidden, InvalidInput, NotFound, TooLarge


def browse_root(settings: Settings) -> Path:
    raw = settings.filesystem.browse_root
    return (Path(raw).expanduser() if raw else Path.home()).resolve()


def browse(actor: Actor, settings: Settings, raw_path: str | None) -> dict[str, Any]:
    """The directories in `raw_path` (absolute, or relative to the root; default the root)."""
    if actor.kind != "user":
        raise Forbidden("browsing the server's directories is for people, not keys or agents")
    root = browse_root(settings)
    target = _resolved(raw_path, base=root) if raw_path else root
    if not _within(target, root):
        raise Forbidden(f"path: {raw_path} is outside {root}, the only tree that may be browsed",
                        code="path_not_allowed")
    _refuse_hidden(target, root, raw_path or "")
    _refuse_data_dir(target, settings, raw_path or "")
    info = _stat(target, raw_path or "")
    if info is None:
        raise NotFound.of("directory", str(raw_path))
    if not stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"path: {raw_path} is not a directory")
    return {"path": str(target), "parent": None if target == root else str(target.parent), "root": str(root),
            "directories": _directories(target, root, settings)}


def _directories(target: Path, root: Path, settings: Settings) -> list[dict[str, Any]]:
    try:
        children = sorted(target.iterdir(), key=lambda p: p.name.casefold())
    except OSError as exc:
        raise _unreadable(str(target), exc) from None
    data_dir = settings.data_dir.resolve()
    found = []
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            real = child.resolve()
            if not real.is_dir() or not _within(real, root) or _within(real, data_dir):
                continue
            is_repo = (real / ".git").exists()
        except (OSError, RuntimeError):  # a broken or looping link, a directory we may not enter
            continue
        found.append({"name": child.name, "path": str(target / child.name), "isGitRepo": is_repo})
    return found


def read_file(session: Session, actor: Actor, settings: Settings, raw_path: str) -> dict[str, Any]:
    """A text file inside a project the actor may see; where it may look is checked before
    whether the file exists, so a refusal reveals nothing about files outside the fence."""
    target = _resolved(raw_path)
    _refuse_data_dir(target, settings, raw_path)
    project = _project_containing(session, actor, target)
    if project is None:
        raise Forbidden(f"path: {raw_path} is not inside a registered project you can see",
                        code="path_not_allowed")
    _refuse_hidden(target, Path(project.path).resolve(), raw_path)
    info = _stat(target, raw_path)
    if info is None:
        raise NotFound.of("file", raw_path)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"path: {raw_path} is not a file")
    size = info.st_size
    limit = settings.filesystem.max_read_bytes
    if size > limit:
        raise TooLarge(f"{raw_path} is {size} bytes; files over {limit} bytes (filesystem.max_read_bytes) "
                       "are not returned")
    try:
        content = target.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"path: {raw_path} is not a UTF-8 text file", code="binary_file") from None
    except OSError as exc:
        raise _unreadable(raw_path, exc) from None
    return {"path": str(target), "projectId": project.id, "size": size, "content": content}


def _resolved(raw_path: str, base: Path | None = None) -> Path:
    """Absolute (or `~`) paths as given, relative ones against `base`; symlinks resolved."""
    if "\x00" in raw_path:
        raise InvalidInput("path: must not contain NUL characters")
    try:
        path = Path(raw_path).expanduser()
    except RuntimeError:  # ~nosuchuser
        raise InvalidInput(f"path: {raw_path!r} is not a usable path") from None
    if not path.is_absolute():
        if base is None:
            raise InvalidInput(f"path: {raw_path!r} must be absolute")
        path = base / path
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise InvalidInput(f"path: {raw_path!r} cannot be resolved") from None


def _stat(path: Path, raw_path: str) -> os.stat_result | None:
    """The path's stat, None if it does not exist; other failures are the caller's 4xx."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _unreadable(raw_path, exc) from None


def _unreadable(raw_path: str, exc: OSError) -> Exception:
    if isinstance(exc, PermissionError):
        return Forbidden(f"path: {raw_path} cannot be read by the server", code="path_not_allowed")
    return InvalidInput(f"path: {raw_path} cannot be used: {exc.strerror or exc}")


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _refuse_hidden(target: Path, root: Path, raw_path: str) -> None:
    if _within(target, root) and any(part.startswith(".") for part in target.relative_to(root).parts):
        raise Forbidden(f"path: {raw_path} is hidden (a name starting with '.')", code="path_not_allowed")


def _refuse_data_dir(target: Path, settings: Settings, raw_path: str) -> None:
    if _within(target, settings.data_dir.resolve()):
        raise Forbidden(f"path: {raw_path} is in Switchyard's data directory, which is never shown",
                        code="path_not_allowed")


def _project_containing(session: Session, actor: Actor, target: Path) -> Project | None:
    for project in session.scalars(select(Project).where(visible_projects(actor))):
        try:
            if _within(target, Path(project.path).resolve()):
                return project
        except (OSError, RuntimeError):
            continue
    return None
