"""The service's own log: JSON lines in <data_dir>/logs, rotated, and read back for the API.

Logging is configured once, by the command line at start (`configure_logging`). Each process
writes its own file (`serve.log`, `daemon.log`, ...), so two processes never rotate the same
file; readers merge the files by time. Secrets are masked before a line reaches any handler's
output, the terminal included.
"""

from __future__ import annotations

import heapq
import logging
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import orjson

from orchestrator.config import Settings

LOG_DIRNAME = "logs"
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn",
               logging.ERROR: "error", logging.CRITICAL: "critical"}
LEVEL_RANK = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40, "critical": 50}
_RECORD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_OURS = "_switchyard_handler"

REDACTED = "[redacted]"
SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer <token>
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{REDACTED}"),
    # JWTs (login tokens, id tokens)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # provider keys, Switchyard's API keys, webhook secrets
    (re.compile(r"\b(?:sk|ak|tb|whsec)[-_][A-Za-z0-9_+/=-]{12,}"), REDACTED),
    # password=..., "apiKey": "...", client_secret: ... (keys that name a secret)
    (re.compile(r"(?i)\b((?:pass(?:word|wd)?|secret|token|api[_-]?key|client[_-]?secret|authorization)"
                r"[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}]+)"), rf"\1{REDACTED}"),
    # passwords in URLs: scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), rf"\1{REDACTED}@"),
]


def redact(text: str) -> str:
    """The text with anything that looks like a secret replaced; applied to every log line."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def log_dir(settings: Settings) -> Path:
    return settings.data_dir / LOG_DIRNAME


def now_stamp() -> str:
    """Microsecond UTC timestamps: lines sort by them, and the export cursor compares them."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, process, message, context, exception."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": LEVEL_NAMES.get(record.levelno, record.levelname.lower()),
            "logger": record.name,
            "process": self.process,
            "message": redact(record.getMessage()),
        }
        context = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRS and not k.startswith("_")}
        if context:
            entry["context"] = _redacted_context(context)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def _redacted_context(context: dict[str, Any]) -> Any:
    masked = redact(orjson.dumps(context, default=str).decode())
    try:
        return orjson.loads(masked)
    except orjson.JSONDecodeError:  # a mask cut through JSON syntax: keep the text
        return {"text": masked}


class RedactingFormatter(logging.Formatter):
    """The terminal's human-readable lines, with secrets masked as in the file."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(settings: Settings, process: str | None = None) -> None:
    """Log to stderr, and with `process` also to <data_dir>/logs/<process>.log as JSON lines.

    Called once per command; it replaces only the handlers it installed itself, so a test
    runner's capture handlers survive.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(settings.log_level.upper())
    console = logging.StreamHandler()
    console.setFormatter(RedactingFormatter(HUMAN_FORMAT))
    _add(root, console)
    if process is not None:
        directory = log_dir(settings)
        directory.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(directory / f"{process}.log", maxBytes=settings.logs.max_bytes,
                                           backupCount=settings.logs.backup_count, encoding="utf-8")
        file_handler.setFormatter(JsonFormatter(process))
        _add(root, file_handler)
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


def _add(root: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _OURS, True)
    root.addHandler(handler)


# Reading ---------------------------------------------------------------------------------------


def read_entries(settings: Settings, level: str | None = None, search: str | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    """The newest `limit` entries at `level` or above whose text contains `search`, newest first."""
    minimum = LEVEL_RANK[level] if level else 0
    needle = search.casefold() if search else None
    found: list[dict[str, Any]] = []
    for entry in newest_first(settings, needle):
        if LEVEL_RANK.get(entry.get("level", ""), 0) < minimum:
            continue
        if needle is not None and needle not in _searchable(entry):
            continue
        found.append(entry)
        if len(found) >= limit:
            break
    return found


def newest_first(settings: Settings, needle: str | None = None) -> Iterator[dict[str, Any]]:
    """Every process's entries merged by time, newest first, read lazily from the files' ends.

    With a `needle` that JSON writes as it is (ASCII, no quotes or backslashes), lines that cannot
    contain it are skipped before they are parsed.
    """
    plain = needle and needle.isascii() and needle.isprintable() and not {'"', "\\"} & set(needle)
    raw = needle.encode() if plain else None
    streams = [_entries(chain, raw) for chain in _file_chains(log_dir(settings))]
    return heapq.merge(*streams, key=lambda e: str(e.get("timestamp", "")), reverse=True)


def _searchable(entry: dict[str, Any]) -> str:
    parts = [entry.get("message", ""), entry.get("logger", ""), entry.get("exception", "")]
    if entry.get("context"):
        parts.append(orjson.dumps(entry["context"]).decode())
    return " ".join(str(p) for p in parts).casefold()


def _file_chains(directory: Path) -> list[list[Path]]:
    """Per process, its files newest first: serve.log, serve.log.1, serve.log.2, ..."""
    if not directory.is_dir():
        return []
    chains = []
    for current in sorted(directory.glob("*.log")):
        rotated = [p for p in directory.glob(f"{current.name}.*") if p.suffix[1:].isdigit()]
        chains.append([current, *sorted(rotated, key=lambda p: int(p.suffix[1:]))])
    return chains


def _entries(files: Iterable[Path], needle: bytes | None) -> Iterator[dict[str, Any]]:
    for path in files:
        for line in _lines_backwards(path):
            if needle is not None and needle not in line.lower():
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:  # a line cut by a crash, or not ours
                continue
            if isinstance(entry, dict):
                yield entry


def _lines_backwards(path: Path, block: int = 64 * 1024) -> Iterator[bytes]:
    """The file's lines, last first, reading blocks from the end (log files can be large)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:  # rotated away meanwhile
        return
    with handle:
        position = handle.seek(0, os.SEEK_END)
        rest = b""
        while position > 0:
            step = min(block, position)
            position -= step
            handle.seek(position)
            lines = (handle.read(step) + rest).split(b"\n")
            rest = lines.pop(0)
            yield from (line for line in reversed(lines) if line.strip())
        if rest.strip():
            yield rest
