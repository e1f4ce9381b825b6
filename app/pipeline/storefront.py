"""Storefront events from the collector: read a batch strictly, append it in bulk.

A batch is all or nothing: one bad event and the whole request is refused with a message
saying which and why, so a broken pixel shows up at once instead of as quietly missing data.
Nothing here reaches the flows: the browse scan (``app/insights/browsing.py``) reads the table
later. Old rows go by the shop's retention setting (``forget_old_events``, daily).

Who the visitor is, and what of it is believed: ``app/pipeline/visitors.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.events.visitors import VISITOR_ID, link_visitor
from app.logs import fields as log_fields
from app.models import (
    EVENT_KINDS,
    Product,
    Shop,
    ShopScope,
    StorefrontEvent,
    Variant,
    db,
    utcnow,
)
from app.pipeline import queues, view_buffer
from app.pipeline.visitors import (
    Identity,
    believed_customer,
    linked_customer,
    remember_claim,
    woocommerce_secret,
)

log = logging.getLogger(__name__)
MAX_EVENTS = 50
_ID = re.compile(r"^[A-Za-z0-9_./:-]{1,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:=-]{8,512}$")
# A browser's clock may be off; an event far outside "now" is a bug or a forgery.
_SKEW = timedelta(hours=24)


class BatchError(ValueError):
    """The batch cannot be stored; the message says which event and why."""


@dataclass(frozen=True)
class Batch:
    visitor_id: str
    identity: Identity | None
    rows: tuple[dict[str, Any], ...]


def _text(value: Any, what: str, pattern: re.Pattern[str]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not pattern.match(value):
        raise BatchError(f"{what} is missing or not an id")
    return value


def _time(value: Any, what: str, now: datetime) -> datetime:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BatchError(f"{what}: 'at' is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise BatchError(f"{what}: 'at' has no time zone")
    if abs(at - now) > _SKEW:
        raise BatchError(f"{what}: 'at' is more than 24 hours from now")
    return at.astimezone(UTC)


def _row(index: int, event: Any, now: datetime) -> dict[str, Any]:
    what = f"event {index}"
    if not isinstance(event, Mapping):
        raise BatchError(f"{what} is not an object")
    kind = event.get("type")
    if kind not in EVENT_KINDS:
        raise BatchError(f"{what}: type must be one of {', '.join(EVENT_KINDS)}")
    row: dict[str, Any] = {"kind": kind, "occurred_at": _time(event.get("at"), what, now)}
    row["product_id"] = row["variant_id"] = row["detail"] = None
    if kind == "product_viewed":
        row["product_id"] = _text(event.get("product_id"), f"{what}: product_id", _ID)
        if event.get("variant_id") not in (None, ""):
            row["variant_id"] = _text(event.get("variant_id"), f"{what}: variant_id", _ID)
    elif kind == "collection_viewed":
        row["detail"] = _text(event.get("collection_id"), f"{what}: collection_id", _ID)
    else:
        query = event.get("query")
        # PostgreSQL text cannot hold NUL: a 400 here, not a failed insert.
        if not isinstance(query, str) or not query.strip() or "\x00" in query:
            raise BatchError(f"{what}: query must be the search terms")
        row["detail"] = query.strip()[:200]
    return row


def _identity(value: Any) -> Identity | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BatchError("customer must be an object with token, checkout, id or email")
    if value.get("token") not in (None, ""):
        return Identity(token=_text(value.get("token"), "customer token", _TOKEN))
    if value.get("checkout") not in (None, ""):
        return Identity(checkout=_text(value.get("checkout"), "customer checkout", _ID))
    customer_id, email = value.get("id"), value.get("email")
    if customer_id not in (None, ""):
        signature = value.get("sig")
        return Identity(
            platform_customer_id=_text(customer_id, "customer id", _ID),
            signature=signature if isinstance(signature, str) else None,
        )
    if isinstance(email, str) and "@" in email and len(email) <= 320 and "\x00" not in email:
        return Identity(email=email.strip().lower())
    raise BatchError("customer must carry a token, a checkout, an id or an email")


def read_batch(body: Any, now: datetime | None = None) -> Batch:
    """The batch as rows to insert, or BatchError naming the first problem."""
    now = now or utcnow()
    if not isinstance(body, Mapping):
        raise BatchError("the body must be a JSON object")
    visitor = _text(body.get("visitor"), "visitor", VISITOR_ID)
    events = body.get("events")
    identity = _identity(body.get("customer"))
    # A sign-in or a checkout email alone may come with no view: it links the visitor.
    if not isinstance(events, list) or (not events and identity is None):
        raise BatchError("events must be a non-empty list (or empty with a customer)")
    if len(events) > MAX_EVENTS:
        raise BatchError(f"at most {MAX_EVENTS} events per request")
    rows = tuple(_row(i, event, now) for i, event in enumerate(events))
    return Batch(visitor, identity, rows)


def store_batch(shop: Shop, batch: Batch) -> int:
    """Append the batch; the caller commits. Returns the rows stored.

    Most batches claim nobody: on PostgreSQL those are handed to this process's write-behind
    (``view_buffer``: written within ``COLLECT_FLUSH_MS`` with other batches in one statement
    that reads the visitor's link to a customer; nothing for the caller to commit), or written
    at once in that statement when there is none. A batch that claims a customer has
    the claim checked and the visitor linked first, in the caller's transaction."""
    if batch.identity is None and batch.rows and db.engine.dialect.name == "postgresql":
        events = _held_events(shop.id, batch, utcnow())
        held = view_buffer.buffer()
        if held is None:
            view_buffer.write(events)
        else:
            held.add(events)  # BufferFull: the caller answers 503
        return len(batch.rows)
    customer_id = believed_customer(shop, batch.identity)
    if customer_id is not None:
        link_visitor(shop.id, batch.visitor_id, customer_id)
    else:
        remember_claim(shop.id, batch.identity, batch.visitor_id)
        customer_id = linked_customer(shop.id, batch.visitor_id)
    now = utcnow()
    prices = _prices_now(shop.id, batch.rows)
    rows = [
        {
            **row,
            "shop_id": shop.id,
            "visitor_id": batch.visitor_id,
            "customer_id": customer_id,
            "price_seen": _price_seen(prices, row),
            "received_at": now,
        }
        for row in batch.rows
    ]
    if rows:  # a sign-in alone links the visitor and stores nothing
        _append(rows)
    return len(rows)


def _prices_now(shop_id: int, rows: tuple[dict[str, Any], ...]) -> dict[tuple[str, Any], Any]:
    """What the page showed when each product was viewed (the catalog follows the shop's own
    webhooks): by (product, variant), the price of the variant the view names when the catalog
    holds it for that product, else the product's price. Two queries per batch at most, on the
    catalog's keys."""
    ids = {row["product_id"] for row in rows if row["product_id"]}
    if not ids:
        return {}
    scope = ShopScope(shop_id)
    found: dict[tuple[str, Any], Any] = {
        (str(pid), None): price
        for pid, price in db.session.execute(
            scope.select(Product, Product.platform_product_id.in_(sorted(ids))).with_only_columns(
                Product.platform_product_id, Product.price
            )
        ).all()
    }
    named = {row["variant_id"] for row in rows if row["product_id"] and row["variant_id"]}
    if named:
        variants = (
            scope.select(Variant, Variant.platform_variant_id.in_(sorted(named)))
            .join(
                Product,
                sa.and_(Product.shop_id == Variant.shop_id, Product.id == Variant.product_id),
            )
            .where(Product.shop_id == shop_id, Variant.price.is_not(None))
            .with_only_columns(
                Product.platform_product_id, Variant.platform_variant_id, Variant.price
            )
        )
        for pid, vid, price in db.session.execute(variants).all():
            found[(str(pid), str(vid))] = price
    return found


def _price_seen(prices: dict[tuple[str, Any], Any], row: dict[str, Any]) -> Any:
    key = (row["product_id"], row["variant_id"])
    return prices.get(key, prices.get((row["product_id"], None)))


_COLUMNS = (
    "shop_id",
    "visitor_id",
    "customer_id",
    "kind",
    "product_id",
    "variant_id",
    "detail",
    "price_seen",
    "occurred_at",
    "received_at",
)


def _append(rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: COPY in the session's transaction (no statement to compile, one round
    trip). Elsewhere (``make run``'s SQLite): one executemany INSERT."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(StorefrontEvent.__table__), rows)
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = f"COPY storefront_events ({', '.join(_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[column] for column in _COLUMNS])


def _held_events(shop_id: int, batch: Batch, now: datetime) -> list[dict[str, Any]]:
    """An anonymous batch as the rows ``view_buffer`` writes (JSON-ready: ``json.dumps``
    writes them several times faster than psycopg adapts Python lists to arrays)."""
    received = now.isoformat()
    return [
        {
            "shop_id": shop_id,
            "visitor_id": batch.visitor_id,
            "kind": row["kind"],
            "product_id": row["product_id"],
            "variant_id": row["variant_id"],
            "detail": row["detail"],
            "occurred_at": row["occurred_at"].isoformat(),
            "received_at": received,
        }
        for row in batch.rows
    ]


def expected_collect_key(shop: Shop) -> str:
    """The key the shop's pages carry. A WooCommerce store derives it from the connection's
    shared secret, as the plugin does (HMAC: public, and no new exchange at connect); other
    shops have one made for them (``ensure_collect_key``). '' when there is none yet."""
    secret = woocommerce_secret(shop)
    if secret:
        digest = hmac.new(secret.encode(), b"storeflow collect key", hashlib.sha256)
        return digest.hexdigest()[:32]
    return shop.storefront_tracking.collect_key


def ensure_collect_key(shop: Shop) -> str:
    """The shop's public collect key, made on first need (the caller commits)."""
    tracking = shop.storefront_tracking
    if not tracking.collect_key:
        tracking = replace(tracking, collect_key=secrets.token_urlsafe(24))
        shop.storefront_tracking = tracking
    return tracking.collect_key


def forget_shop_events(shop_id: int, now: datetime) -> int:
    """Delete the shop's events older than its retention setting."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return 0
    cutoff = now - timedelta(days=shop.storefront_tracking.retention_days)
    result = db.session.execute(
        ShopScope(shop_id).delete(StorefrontEvent, StorefrontEvent.occurred_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@queues.job("sync", timeout=1800, retry=Retry(max=2, interval=[300, 1800]))
def forget_old_events(now: datetime | None = None) -> int:
    """Daily (``rq cron``): every shop's storefront events past its retention. Safe to rerun."""
    now = now or utcnow()
    forgotten = 0
    for shop_id in db.session.scalars(sa.select(Shop.id)).all():
        forgotten += forget_shop_events(shop_id, now)
        db.session.commit()
    log.info("storefront events forgotten", extra=log_fields(rows=forgotten))
    return forgotten
