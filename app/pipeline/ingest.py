"""The durable webhook pipeline: store the raw delivery, answer, process it in a job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from app import connectors, safe_json
from app.connectors.base import Envelope, Platform, ShopRef
from app.events import types as ev
from app.events.apply import apply
from app.events.types import AppUninstalled
from app.logs import fields as log_fields
from app.models import Shop, WebhookDelivery, db, utcnow
from app.models.sql import insert_ignoring_conflict

# Imported for its listener: a committed erasure then reaches Redis too.
from app.pipeline import erasure as _erasure  # noqa: F401
from app.pipeline import queues

log = logging.getLogger(__name__)
# After an uninstall (and after the shop's redaction) a late or retried delivery changes
# nothing: no cart, order or flow moves. Only what the law or the lifecycle still needs is
# applied: redaction and data requests (Shopify's arrive up to 48 h later), a repeated
# uninstall. A reinstall makes the shop active again.
CLOSED_STATUSES = ("uninstalled", "redacted")
AFTER_UNINSTALL = (ev.AppUninstalled, ev.CustomerRedact, ev.ShopRedact, ev.CustomerDataRequest)


def find_shop(platform: str, domain: str) -> Shop | None:
    return db.session.scalars(
        sa.select(Shop).where(Shop.platform == platform, Shop.domain == domain)
    ).first()


def store_delivery(
    shop: Shop,
    platform: Platform,
    envelope: Envelope,
    body: bytes,
    status: str,
    error: str | None = None,
    *,
    committed: bool = False,
) -> int | None:
    """Insert the raw delivery once per (shop, delivery id); the new row's id, or None.

    ``committed``: durable on return, in one round trip of its own (the webhook view, which
    then has nothing to commit). A connection lost after the commit but before the answer
    reads as a duplicate: the delivery is stored, and the minute tick enqueues it."""
    return insert_ignoring_conflict(
        WebhookDelivery,
        {
            "shop_id": shop.id,
            "platform": platform.name,
            "delivery_id": envelope.delivery_id,
            "topic": envelope.topic,
            "headers": envelope.headers,
            "body": body,
            "status": status,
            "last_error": error,
            "received_at": utcnow(),
        },
        committed=committed,
    )


def classify(platform: Platform, topic: str, body: bytes) -> tuple[str, str | None]:
    """The status a new delivery starts in, and why when it is not 'received'."""
    try:
        safe_json.loads(body)
    except safe_json.MalformedJSON as exc:
        return "failed", f"malformed JSON: {exc}"
    if topic not in platform.topics:
        return "ignored", f"no handler for topic {topic!r}"
    return "received", None


def enqueue_delivery(delivery_id: int) -> bool:
    """Hand the delivery to a worker; False (and logged) when Redis is unreachable."""
    try:
        queues.enqueue(process_delivery, delivery_id, job_id=f"delivery-{delivery_id}")
    except RedisError:
        log.warning(
            "redis unreachable; the minute tick will enqueue the delivery",
            extra=log_fields(delivery=delivery_id),
        )
        return False
    return True


@queues.job("events", timeout=120, retry=Retry(max=5, interval=[10, 60, 300, 900, 3600]))
def process_delivery(delivery_id: int) -> str:
    """Normalize a stored delivery into events and apply them. Safe to run twice."""
    row = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    ).first()
    if row is None or row.status != "received":
        return "skipped"
    shop = db.session.get(Shop, row.shop_id)
    platform = connectors.get(row.platform)
    if shop is None or platform is None:
        row.status, row.last_error = "ignored", f"no connector for platform {row.platform!r}"
        db.session.commit()
        return row.status
    try:
        payload: Any = safe_json.loads(row.body)
        # normalize sees plain values only: the shop's secrets stay out of mapping.
        events = platform.normalize(ShopRef.of(shop), row.topic, payload, row.headers)
        if shop.status in CLOSED_STATUSES:
            events = [event for event in events if isinstance(event, AFTER_UNINSTALL)]
            if not events:
                return _ignore_for_closed_shop(row, shop)
        for event in events:
            apply(event)
            if isinstance(event, AppUninstalled):
                platform.disconnect(shop)
        row.status, row.processed_at, row.attempts = "processed", utcnow(), row.attempts + 1
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(delivery_id, exc)
        raise
    log.info("delivery processed", extra=log_fields(shop=shop.id, delivery=delivery_id))
    return "processed"


def _ignore_for_closed_shop(row: WebhookDelivery, shop: Shop) -> str:
    row.status, row.last_error = "ignored", f"shop is {shop.status}: nothing after uninstall"
    row.processed_at = utcnow()
    db.session.commit()
    log.info(
        "delivery for an uninstalled shop ignored",
        extra=log_fields(shop=shop.id, delivery=row.id, topic=row.topic),
    )
    return row.status


def _record_failure(delivery_id: int, exc: Exception) -> None:
    row = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if row is None:
        return
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]:
        row.status = "failed"
    db.session.commit()
    log.error(
        "delivery failed",
        extra=log_fields(shop=row.shop_id, delivery=delivery_id, attempt=row.attempts),
    )


def requeue_stuck_deliveries(now: Any = None) -> int:
    """Enqueue deliveries still 'received' after a while whose job Redis no longer holds."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["STUCK_DELIVERY_SECONDS"])
    # System-wide by design: the tick serves every shop; each job then works on one shop's row.
    ids = db.session.scalars(
        sa.select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "received", WebhookDelivery.received_at < cutoff)
        .order_by(WebhookDelivery.received_at)
        .limit(current_app.config["TICK_BATCH_SIZE"])
    ).all()
    db.session.commit()
    count = 0
    for delivery_id in ids:
        if not queues.job_is_pending(f"delivery-{delivery_id}") and enqueue_delivery(delivery_id):
            count += 1
    return count
