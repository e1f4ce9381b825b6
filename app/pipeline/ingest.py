"""The durable webhook pipeline: store the raw delivery, answer, process it in a job."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from app import connectors, safe_json
from app.connectors.base import Envelope, Platform, ShopRef
from app.events import types as ev
from app.events.apply import apply, create_ahead, read_ahead, without_repeats
from app.events.types import AppUninstalled
from app.logs import fields as log_fields
from app.models import Shop, WebhookDelivery, db, utcnow
from app.models.batch import batch_memo, forget_locked
from app.models.flows import load_flow_settings, watch_active_runs
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
# Events that erase a person or a shop everywhere, waiting deliveries included.
ERASING = (ev.CustomerRedact, ev.CustomerDeleted, ev.ShopRedact)
# Deliveries one transaction takes; a drain job goes on for at most DRAIN_SECONDS.
BATCH_SIZE = 100
DRAIN_SECONDS = 20.0
# Up while a drain job is queued and not started: further wake-ups then cost one SET.
WAKE_KEY = "storeflow:deliveries:wake"
WAKE_TTL = 60
# The backoff (seconds) of a delivery that failed: after its first, second... attempt.
RETRY_AFTER = (10, 60, 300, 900, 3600)


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
    """Wake a worker for the stored delivery; False (and logged) when Redis is unreachable.

    The stored row is the queue: a worker's ``drain_deliveries`` claims received rows in
    batches. Redis only carries the wake-up, one drain job at a time queued: while one waits
    unstarted, this is a single SET that finds the flag up."""
    try:
        wake_workers()
    except RedisError:
        log.warning(
            "redis unreachable; the minute tick will enqueue the delivery",
            extra=log_fields(delivery=delivery_id),
        )
        return False
    return True


def wake_workers() -> bool:
    """Queue a drain unless one is queued and not started yet; True if this call queued it.

    The flag lapses after WAKE_TTL seconds, so a drain lost with its flag up (a worker killed
    between taking the job and starting it) holds new wake-ups back no longer than that; the
    minute tick finds the rows in any case."""
    conn = queues.redis_connection()
    if not conn.set(WAKE_KEY, 1, nx=True, ex=WAKE_TTL):
        return False
    try:
        queues.enqueue(drain_deliveries)
    except RedisError:
        conn.delete(WAKE_KEY)
        raise
    return True


def wake_quietly() -> None:
    """Wake a worker if Redis answers; else leave it to the minute tick (logged)."""
    try:
        wake_workers()
    except RedisError:
        log.warning("redis unreachable; the minute tick will wake a worker")


@queues.job("events", timeout=120, retry=None)
def drain_deliveries() -> int:
    """Process stored deliveries, a batch per transaction, until none is left or DRAIN_SECONDS
    have passed (then another drain is queued, so other queues' jobs get their turn).

    Each batch is claimed with ``FOR UPDATE SKIP LOCKED``: workers draining at once take
    different rows. A full batch wakes another worker, which may help with the rest. A worker
    killed mid-batch commits nothing: the rows stay "received" and the next drain (woken by the
    next delivery, or the minute tick) processes them from scratch."""
    try:
        # From here on a new delivery queues another drain: this one may already be past it.
        queues.redis_connection().delete(WAKE_KEY)
    except RedisError:
        log.warning("redis unreachable; draining all the same")
    started, processed = time.monotonic(), 0
    while True:
        rows = _claim(BATCH_SIZE)
        if not rows:
            db.session.commit()
            return processed
        if len(rows) == BATCH_SIZE:
            wake_quietly()
        processed += _process_batch(rows)
        if time.monotonic() - started > DRAIN_SECONDS:
            wake_quietly()
            return processed


def _claim(limit: int) -> list[WebhookDelivery]:
    # System-wide by design: a worker serves every shop; the batch is then handled shop by shop.
    # Rows that failed once (attempts > 0) are retried by their own job, with its backoff.
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.status == "received", WebhookDelivery.attempts == 0)
            .order_by(WebhookDelivery.received_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def _process_batch(rows: list[WebhookDelivery]) -> int:
    """Process the claimed rows in one transaction, each shop's in the order they came. If
    one fails, nothing of the batch is kept and each row is processed again on its own, so
    the others go through and the failing one is recorded (and retried) alone."""
    ids = [row.id for row in rows]
    by_shop: dict[int, list[WebhookDelivery]] = {}
    for row in rows:
        by_shop.setdefault(row.shop_id, []).append(row)
    try:
        _apply_batch(rows, by_shop)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("batch failed; its deliveries are processed one by one", exc_info=True)
        for delivery_id in ids:
            _process_alone(delivery_id)
        return len(ids)
    log.info("deliveries processed", extra=log_fields(deliveries=len(ids), shops=len(by_shop)))
    return len(ids)


def _apply_batch(rows: list[WebhookDelivery], by_shop: dict[int, list[WebhookDelivery]]) -> None:
    """Apply the rows' events shop by shop in the session's transaction (the caller commits).

    A row is marked processed once the batch is through, all in one flush (one UPDATE each,
    sent together) instead of one round trip between every two deliveries. What an erasure
    in the batch did to an earlier row comes out the same: it empties the body whatever the
    status, and the row, applied, ends "processed" as it would have."""
    done: list[tuple[WebhookDelivery, datetime]] = []
    with batch_memo(db.session()) as batch:
        # Held for the batch: the session keeps only what someone references, and every
        # delivery of the shop asks for it again.
        batch["shops"] = list(db.session.scalars(sa.select(Shop).where(Shop.id.in_(by_shop))))
        load_flow_settings(list(by_shop))
        watch_active_runs(list(by_shop))
        # Each row's events, found once: first to read ahead what applying them will ask.
        normalized = {row.id: _normalize(row) for row in rows}
        read_ahead([event for _, _, events in normalized.values() for event in events])
        # Then the new customers and carts, inserted ahead of the events in the order that
        # ``_process`` applies them (shop by shop).
        create_ahead(
            [
                event
                for shop_rows in by_shop.values()
                for row in shop_rows
                for event in _applicable(*normalized[row.id])
            ]
        )
        for shop_rows in by_shop.values():
            for row in shop_rows:
                if row.status != "received":
                    continue  # an erasure earlier in the batch had it ignored
                events = _process(row, mark=False, normalized=normalized.get(row.id))
                if row.status == "received":
                    done.append((row, utcnow()))
                if any(isinstance(event, ERASING) for event in events):
                    # An erasure marks a waiting delivery of the person ignored (and
                    # empties its body) in the database: read the rest of the batch anew.
                    db.session.flush()
                    forget_locked(db.session())
                    normalized.clear()
                    for other in rows:
                        db.session.expire(other)
        for row, at in done:
            _mark_processed(row, at)


def _process_alone(delivery_id: int) -> None:
    """One delivery in a transaction of its own; a failure is recorded and its retry job
    queued with the backoff (RETRY_AFTER), never raised: the drain goes on with the rest."""
    try:
        process_delivery(delivery_id)
    except Exception:
        _schedule_retry(delivery_id)


def _schedule_retry(delivery_id: int) -> None:
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None or row.status != "received":
        return
    delay = RETRY_AFTER[min(row.attempts, len(RETRY_AFTER)) - 1]
    try:
        queues.enqueue_in(
            timedelta(seconds=delay), process_delivery, delivery_id, job_id=_job_id(delivery_id)
        )
    except RedisError:
        log.warning(
            "redis unreachable; the minute tick will retry the delivery",
            extra=log_fields(delivery=delivery_id),
        )


def _job_id(delivery_id: int) -> str:
    return f"delivery-{delivery_id}"


@queues.job("events", timeout=120, retry=Retry(max=4, interval=list(RETRY_AFTER[1:])))
def process_delivery(delivery_id: int) -> str:
    """Normalize one stored delivery into events and apply them. Safe to run twice.

    The retry path (and the admin's "retry"): fresh deliveries are drained in batches."""
    row = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    ).first()
    if row is None or row.status != "received":
        return "skipped"
    try:
        _process(row)
        outcome = row.status
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        _record_failure(delivery_id, exc)
        raise
    if outcome == "processed":
        log.info("delivery processed", extra=log_fields(shop=row.shop_id, delivery=delivery_id))
    return outcome


def _normalize(row: WebhookDelivery) -> tuple[Shop | None, Platform | None, list[ev.Event]]:
    """The row's shop, platform and events (none without the shop or its platform)."""
    shop = db.session.get(Shop, row.shop_id)
    platform = connectors.get(row.platform)
    if shop is None or platform is None:
        return shop, platform, []
    payload: Any = safe_json.loads(row.body)
    # normalize sees plain values only: the shop's secrets stay out of mapping.
    return shop, platform, platform.normalize(ShopRef.of(shop), row.topic, payload, row.headers)


def _process(
    row: WebhookDelivery,
    *,
    mark: bool = True,
    normalized: tuple[Shop | None, Platform | None, list[ev.Event]] | None = None,
) -> list[ev.Event]:
    """Apply the claimed (locked) row's events in the caller's transaction (the row's status
    then says what became of it; with ``mark`` false a row applied is left "received" for the
    caller to mark); the events applied. ``normalized``: ``_normalize(row)``, if known."""
    shop, platform, events = normalized or _normalize(row)
    if shop is None or platform is None:
        row.status, row.last_error = "ignored", f"no connector for platform {row.platform!r}"
        return []
    events = _applicable(shop, platform, events)
    if not events and shop.status in CLOSED_STATUSES:
        _ignore_for_closed_shop(row, shop)
        return []
    for event in events:
        apply(event)
        if isinstance(event, AppUninstalled):
            platform.disconnect(shop)
    if mark:
        _mark_processed(row, utcnow())
    return events


def _applicable(
    shop: Shop | None, platform: Platform | None, events: list[ev.Event]
) -> list[ev.Event]:
    """What ``_process`` applies of a row's events: none without the shop or its platform,
    only what may follow an uninstall in a closed shop, and no event that only repeats the
    one before it."""
    if shop is None or platform is None:
        return []
    if shop.status in CLOSED_STATUSES:
        events = [event for event in events if isinstance(event, AFTER_UNINSTALL)]
    return without_repeats(events)


def _mark_processed(row: WebhookDelivery, at: datetime) -> None:
    row.status, row.processed_at, row.attempts = "processed", at, row.attempts + 1


def _ignore_for_closed_shop(row: WebhookDelivery, shop: Shop) -> None:
    row.status, row.last_error = "ignored", f"shop is {shop.status}: nothing after uninstall"
    row.processed_at = utcnow()
    log.info(
        "delivery for an uninstalled shop ignored",
        extra=log_fields(shop=shop.id, delivery=row.id, topic=row.topic),
    )


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
    """Wake a worker for deliveries still 'received' after a while (their wake-up lost with
    Redis), and queue again the retry of a failed one whose job Redis no longer holds."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=current_app.config["STUCK_DELIVERY_SECONDS"])
    # System-wide by design: the tick serves every shop; each job then works on one shop's row.
    stuck = db.session.execute(
        sa.select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.status == "received", WebhookDelivery.received_at < cutoff)
        .order_by(WebhookDelivery.received_at)
        .limit(current_app.config["TICK_BATCH_SIZE"])
    ).all()
    db.session.commit()
    fresh = [delivery_id for delivery_id, attempts in stuck if attempts == 0]
    count = 0
    try:
        if fresh and wake_workers():
            count += len(fresh)
        for delivery_id, attempts in stuck:
            job_id = _job_id(delivery_id)
            if attempts and not queues.job_is_pending(job_id):
                queues.enqueue(process_delivery, delivery_id, job_id=job_id)
                count += 1
    except RedisError:
        log.warning("redis unreachable; stuck deliveries wait for the next tick")
    return count
