"""Log export: new entries of the service's own log are POSTed to an HTTP endpoint.

The endpoint (a log aggregator's HTTP intake: Vector, Fluent Bit, Datadog, a webhook) receives a
JSON array of entries, the same objects GET /api/logs returns, optionally with a bearer token.
The scheduler ships what was logged since the last shipment (`export_pending`); the cursor is
the timestamp of the last entry sent, so a restart neither loses nor repeats entries. Only the
super_admin configures it (DESIGN: "exports logs").
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from sqlalchemy.orm import Session

from models import iso, utcnow
from orchestrator import logs
from orchestrator.access import Actor, require_super_admin
from orchestrator.errors import Conflict, InvalidInput, UpstreamError
from orchestrator.runtime import Runtime
from orchestrator.runtime_settings import get_setting, put_setting
from orchestrator.security import Keyring

log = logging.getLogger(__name__)

CONFIG_KEY = "logExport"
STATE_KEY = "logExport.state"
DEFAULTS: dict[str, Any] = {"enabled": False, "url": None, "level": "info", "tokenEncrypted": None}
TIMEOUT_SECONDS = 5
BATCH = 500
MAX_PENDING = 5000  # entries per run; a larger backlog (a long outage) keeps only the newest


def get_config(session: Session, actor: Actor) -> dict[str, Any]:
    require_super_admin(actor, "reading the log export configuration")
    return _public(session)


def update_config(session: Session, actor: Actor, keyring: Keyring, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the fields sent; enabling starts the export from now, not from the oldest entry."""
    require_super_admin(actor, "configuring log export")
    config = _config(session)
    was_enabled = config["enabled"]
    for key in ("enabled", "url", "level"):
        if key in changes:
            config[key] = changes[key]
    if "token" in changes:
        config["tokenEncrypted"] = keyring.encrypt(changes["token"]).decode() if changes["token"] else None
    if config["enabled"] and not config["url"]:
        raise InvalidInput("url: required to enable log export")
    put_setting(session, CONFIG_KEY, config)
    if config["enabled"] and not was_enabled:
        put_setting(session, STATE_KEY, {**_state(session), "cursor": logs.now_stamp(), "lastError": None})
    return _public(session)


def send_test(session: Session, actor: Actor, keyring: Keyring) -> dict[str, Any]:
    """POST one sample entry to the configured URL; an unreachable or refusing endpoint is a 502."""
    require_super_admin(actor, "testing log export")
    config = _config(session)
    if not config["url"]:
        raise Conflict("log export has no url: set it with PUT /api/settings/log-export",
                       code="log_export_not_configured")
    sample = {"timestamp": logs.now_stamp(), "level": "info", "logger": __name__, "process": "test",
              "message": "Switchyard log export test"}
    status = post_entries(config["url"], _token(config, keyring), [sample])
    return {"success": True, "url": config["url"], "status": status}


def post_entries(url: str, token: str | None, entries: list[dict[str, Any]]) -> int:
    """POST a JSON array; UpstreamError (502) naming the URL when it fails."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = requests.post(url, json=entries, headers=headers, timeout=TIMEOUT_SECONDS,
                                 allow_redirects=False)
    except requests.Timeout:
        raise UpstreamError(f"{url} did not answer within {TIMEOUT_SECONDS} s",
                            code="log_export_unreachable") from None
    except requests.RequestException as exc:
        raise UpstreamError(f"could not reach {url}: {_reason(exc)}", code="log_export_unreachable") from None
    if not 200 <= response.status_code < 300:
        raise UpstreamError(f"{url} refused the entries: HTTP {response.status_code}",
                            code="log_export_rejected")
    return response.status_code


def export_pending(runtime: Runtime) -> int:
    """The scheduler's job: ship entries logged since the cursor; returns how many were sent."""
    with runtime.transaction() as session:
        config, state = _config(session), _state(session)
    if not config["enabled"] or not config["url"]:
        return 0
    entries, newest = pending_entries(runtime, state.get("cursor"), config["level"])
    sent = 0
    try:
        for start in range(0, len(entries), BATCH):
            batch = entries[start:start + BATCH]
            post_entries(config["url"], _token(config, runtime.keyring), batch)
            sent += len(batch)
            state["cursor"] = batch[-1]["timestamp"]
        state["cursor"] = newest or state.get("cursor")  # past entries below the level, too
        error = None
    except (UpstreamError, Conflict) as exc:
        error = exc.message
        if state.get("lastError") is None:  # once per outage, not once per interval
            log.warning("log export failed: %s", error)
    with runtime.transaction() as session:
        put_setting(session, STATE_KEY, {**state, "lastError": error,
                                         "lastExportAt": iso(utcnow()) if sent else state.get("lastExportAt")})
    return sent


def pending_entries(runtime: Runtime, cursor: str | None, level: str) -> tuple[list[dict[str, Any]], str | None]:
    """Entries after the cursor at `level` or above, oldest first (at most MAX_PENDING), and the
    newest timestamp looked at (the next cursor once they are sent)."""
    minimum = logs.LEVEL_RANK[level]
    newer: list[dict[str, Any]] = []
    newest: str | None = None
    for entry in logs.newest_first(runtime.settings):
        stamp = str(entry.get("timestamp", ""))
        if cursor is not None and stamp <= cursor:
            break
        newest = newest or stamp
        if logs.LEVEL_RANK.get(entry.get("level", ""), 0) >= minimum:
            newer.append(entry)
            if len(newer) >= MAX_PENDING:
                break
    return newer[::-1], newest


def _config(session: Session) -> dict[str, Any]:
    return {**DEFAULTS, **(get_setting(session, CONFIG_KEY) or {})}


def _state(session: Session) -> dict[str, Any]:
    return dict(get_setting(session, STATE_KEY) or {})


def _public(session: Session) -> dict[str, Any]:
    config, state = _config(session), _state(session)
    return {"enabled": config["enabled"], "url": config["url"], "level": config["level"],
            "hasToken": bool(config["tokenEncrypted"]), "lastExportAt": state.get("lastExportAt"),
            "lastError": state.get("lastError")}


def _token(config: dict[str, Any], keyring: Keyring) -> str | None:
    encrypted = config["tokenEncrypted"]
    try:
        return keyring.decrypt(encrypted.encode()) if encrypted else None
    except ValueError:  # stored under another master key
        raise Conflict("the stored log export token cannot be decrypted with this master key; set it again",
                       code="log_export_not_configured") from None


def _reason(exc: requests.RequestException) -> str:
    """The innermost cause ("Connection refused"), not urllib3's long wrapper text."""
    cause: BaseException = exc
    while cause.__cause__ is not None or (cause.args and isinstance(cause.args[0], BaseException)):
        cause = cause.__cause__ or cause.args[0]
    text = str(cause)
    return text.rsplit("] ", 1)[-1] if "] " in text else text or type(exc).__name__
