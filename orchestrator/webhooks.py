"""Webhooks of an `ak_` key: subscriptions to the event outbox, signed per Standard Webhooks.

A webhook receives the events it subscribed to (exact names, `card.*`-style prefixes, or `*`) of
the boards its key may read, in order, at least once (orchestrator/webhook_delivery.py). Its
secret (`whsec_` + base64 of 24 random bytes) is shown once, at creation; it is stored encrypted
because every delivery signs with it. A URL whose host resolves to a private, loopback,
link-local or otherwise internal address is refused unless the host is in `webhooks.allow_hosts`,
at creation and again before each delivery (the name may resolve differently later).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Webhook, WebhookDelivery
from orchestrator.api_keys import KeyGrant
from orchestrator.config import WebhookSettings
from orchestrator.errors import InvalidInput, NotFound
from orchestrator.events_feed import latest_event_id
from orchestrator.security import Keyring

SECRET_PREFIX = "whsec_"
EVENT_NAMES = frozenset({
    "card.created", "card.updated", "card.moved", "card.deleted", "card.archived", "card.restored",
    "column.created", "column.updated", "column.deleted", "board.created", "board.updated", "board.deleted",
    "session.queued", "session.started", "session.status", "session.ended", "message.created",
    "plan.submitted", "plan.decided", "approval.waiting", "comment.created", "comment.deleted",
    "todo.created", "todo.updated", "todo.deleted", "script.output", "script.ended", "notification",
})
RECENT_DELIVERIES = 20


def list_webhooks(session: Session, grant: KeyGrant) -> list[Webhook]:
    return list(session.scalars(select(Webhook).where(Webhook.api_key_id == grant.key_id)
                                .order_by(Webhook.created_at)))


def create_webhook(session: Session, keyring: Keyring, settings: WebhookSettings, grant: KeyGrant,
                   fields: dict[str, Any]) -> tuple[Webhook, str]:
    """The webhook and its secret. It receives events from now on, not the outbox's past."""
    check_url(fields["url"], settings.allow_hosts)
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()
    webhook = Webhook(api_key_id=grant.key_id, url=fields["url"], events=check_events(fields["events"]),
                      secret_encrypted=keyring.encrypt(secret), active=fields.get("active", True),
                      last_event_id=latest_event_id(session))
    session.add(webhook)
    session.flush()
    return webhook, secret


def get_webhook(session: Session, grant: KeyGrant, webhook_id: str) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or webhook.api_key_id != grant.key_id:
        raise NotFound.of("webhook", webhook_id)
    return webhook


def recent_deliveries(session: Session, webhook_id: str) -> list[WebhookDelivery]:
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
                                .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                                .limit(RECENT_DELIVERIES)))


def update_webhook(session: Session, settings: WebhookSettings, grant: KeyGrant, webhook_id: str,
                   fields: dict[str, Any]) -> Webhook:
    """URL, events, active. Turning a webhook on again clears a failing or disabled state."""
    webhook = get_webhook(session, grant, webhook_id)
    if fields.get("url") is not None:
        check_url(fields["url"], settings.allow_hosts)
        webhook.url = fields["url"]
    if fields.get("events") is not None:
        webhook.events = check_events(fields["events"])
    if fields.get("active") is not None:
        if fields["active"] and not webhook.active:
            webhook.failing, webhook.disabled_reason = False, None
        webhook.active = fields["active"]
    return webhook


def delete_webhook(session: Session, grant: KeyGrant, webhook_id: str) -> None:
    session.delete(get_webhook(session, grant, webhook_id))


# Rules -----------------------------------------------------------------------------------------


def check_events(names: list[str]) -> list[str]:
    unknown = [n for n in names if not (n == "*" or n in EVENT_NAMES or _is_prefix_pattern(n))]
    if unknown:
        raise InvalidInput(f"events: unknown event {unknown[0]!r}; use names such as card.moved, "
                           "a prefix such as card.*, or *")
    if not names:
        raise InvalidInput("events: name at least one event (or * for all)")
    return list(dict.fromkeys(names))


def _is_prefix_pattern(name: str) -> bool:
    return name.endswith(".*") and any(known.startswith(name[:-1]) for known in EVENT_NAMES)


def subscribed(patterns: list[str], event_type: str) -> bool:
    return any(p == "*" or p == event_type or (p.endswith(".*") and event_type.startswith(p[:-1]))
               for p in patterns)


def check_url(url: str, allow_hosts: list[str]) -> None:
    """Raise InvalidInput unless `url` is http(s) to a host that resolves only to public
    addresses, or is listed in `allow_hosts`."""
    problem = url_problem(url, allow_hosts)
    if problem:
        raise InvalidInput(f"url: {problem}")


def url_problem(url: str, allow_hosts: list[str]) -> str | None:
    """Why a delivery to `url` is refused, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    host = parts.hostname.lower()
    if host in {h.lower() for h in allow_hosts}:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError, ValueError):
        return f"host {host} does not resolve"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return (f"host {host} resolves to {address}, a private, loopback or link-local address; "
                    "list the host in webhooks.allow_hosts to allow it")
    return None


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature` per Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body">,
    keyed with the base64-decoded part of the secret after `whsec_`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
