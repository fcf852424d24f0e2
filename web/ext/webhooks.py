"""/api/ext/v1 webhooks of the calling key (seed 000); delivery: orchestrator/webhook_delivery.py."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from models import Webhook, WebhookDelivery, iso
from orchestrator import webhooks
from web.context import db, runtime
from web.ext.auth import EXT_PREFIX, key_grant
from web.responses import created, no_content, ok
from web.schemas.ext import ExtWebhookCreate, ExtWebhookPath, ExtWebhookUpdate

bp = APIBlueprint("ext_webhooks", __name__, url_prefix=f"{EXT_PREFIX}/webhooks",
                  abp_tags=[Tag(name="External API: webhooks")], abp_security=[{"bearer": []}])


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """The secret is shown once, by create; `failing` and `disabledReason` say how delivery goes."""
    return {"id": webhook.id, "url": webhook.url, "events": webhook.events, "active": webhook.active,
            "failing": webhook.failing, "disabledReason": webhook.disabled_reason,
            "createdAt": iso(webhook.created_at), "updatedAt": iso(webhook.updated_at)}


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {"id": delivery.id, "eventId": delivery.event_id, "eventType": delivery.event_type,
            "attempt": delivery.attempt, "statusCode": delivery.status_code, "durationMs": delivery.duration_ms,
            "error": delivery.error, "deliveredAt": iso(delivery.delivered_at),
            "nextAttemptAt": iso(delivery.next_attempt_at), "createdAt": iso(delivery.created_at)}


@bp.get("")
def list_webhooks():  # type: ignore[no-untyped-def]
    return ok([webhook_json(w) for w in webhooks.list_webhooks(db(), key_grant())])


@bp.post("")
def create_webhook(body: ExtWebhookCreate):  # type: ignore[no-untyped-def]
    webhook, secret = webhooks.create_webhook(db(), runtime().keyring, runtime().settings.webhooks, key_grant(),
                                              body.model_dump())
    return created({**webhook_json(webhook), "secret": secret})


@bp.get("/<id>")
def get_webhook(path: ExtWebhookPath):  # type: ignore[no-untyped-def]
    webhook = webhooks.get_webhook(db(), key_grant(), path.id)
    deliveries = webhooks.recent_deliveries(db(), webhook.id)
    return ok({**webhook_json(webhook), "deliveries": [delivery_json(d) for d in deliveries]})


@bp.patch("/<id>")
def update_webhook(path: ExtWebhookPath, body: ExtWebhookUpdate):  # type: ignore[no-untyped-def]
    webhook = webhooks.update_webhook(db(), runtime().settings.webhooks, key_grant(), path.id, body.changes())
    return ok(webhook_json(webhook))


@bp.delete("/<id>")
def delete_webhook(path: ExtWebhookPath):  # type: ignore[no-untyped-def]
    webhooks.delete_webhook(db(), key_grant(), path.id)
    return no_content()
