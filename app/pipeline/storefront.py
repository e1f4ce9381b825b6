"""Storefront events from the collector: read a batch strictly, append it in bulk, link visitors.

A batch is all or nothing: one bad event and the whole request is refused with a message
saying which and why, so a broken pixel shows up at once instead of as quietly missing data.
Nothing here reaches the flows: the browse scan (``app/insights/browsing.py``) reads the table
later. Old rows go by the shop's retention setting (``forget_old_events``, daily).

Who a visitor is. The batch's ``customer`` is what the page claims, and the page is the
shopper's browser: anyone can post to the collector with the shop's public key and an Origin
header of their choosing (curl sets any Origin). If a bare customer id or email were believed,
an attacker could (a) pour views into someone else's history under their id or address, so the
shop mails that person browse-abandonment emails and "picked for you" blocks about products the
attacker chose (harassment through the shop's own mail, and polluted recommendations), and
(b) link their own visitor id to that person, so every later view from the attacker's browser
joins the victim's profile; with a victim's visitor id (a cookie seen once on a shared
computer) they could even pull the victim's anonymous views into an account of their own and
get them back in "you were looking at" emails. So a claim links the visitor only when it comes
with something we or the platform issued to that browser alone (``believed_customer``):

- ``{"token": ...}``: our identity token from a click on our email link (``emails.tracking``:
  signed, bound to the shop, expiring); the Shopify pixel and the WordPress plugin keep it in
  a first-party cookie, only with the visitor's consent;
- ``{"id": ..., "sig": ...}``: a WooCommerce signed-in customer, signed by the plugin with the
  connection's shared secret on the server (the page gets the signature, never the secret);
- ``{"checkout": ...}``: the platform's checkout token (Shopify's pixel has it once the shopper
  typed their contact at checkout), believed when a checkout the shop sent us under that key
  names the customer: the token is known to that browser and the shop, not to an attacker.

Anything else (a bare ``id`` or ``email``) is not believed: the views are kept as the
anonymous visitor's. A Shopify signed-in customer's id cannot be proved from the pixel (its
settings are the same for every visitor, so nothing in them can vouch for one customer): such a
shopper is linked at checkout or by a click on our email instead.
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
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from rq import Retry

from app.emails.tracking import IDENTITY_PARAM, InvalidToken, identity_token, read_identity_token
from app.logs import fields as log_fields
from app.models import (
    EVENT_KINDS,
    Cart,
    Customer,
    Shop,
    ShopScope,
    StorefrontEvent,
    StorefrontVisitor,
    db,
    utcnow,
)
from app.models.sql import insert_ignoring_conflict
from app.pipeline import queues

log = logging.getLogger(__name__)
MAX_EVENTS = 50
_VISITOR = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
_ID = re.compile(r"^[A-Za-z0-9_./:-]{1,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_.:=-]{8,512}$")
# A browser's clock may be off; an event far outside "now" is a bug or a forgery.
_SKEW = timedelta(hours=24)


class BatchError(ValueError):
    """The batch cannot be stored; the message says which event and why."""


@dataclass(frozen=True)
class Identity:
    """What the page says about who the visitor is; see the module's docstring for what of it
    is believed."""

    platform_customer_id: str | None = None
    email: str | None = None
    signature: str | None = None  # the plugin's HMAC of the customer id (WooCommerce)
    token: str | None = None  # our identity token, from a click on our email link
    checkout: str | None = None  # the platform's checkout token (Shopify pixel)


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
        if not isinstance(query, str) or not query.strip():
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
    if isinstance(email, str) and "@" in email and len(email) <= 320:
        return Identity(email=email.strip().lower())
    raise BatchError("customer must carry a token, a checkout, an id or an email")


def read_batch(body: Any, now: datetime | None = None) -> Batch:
    """The batch as rows to insert, or BatchError naming the first problem."""
    now = now or utcnow()
    if not isinstance(body, Mapping):
        raise BatchError("the body must be a JSON object")
    visitor = _text(body.get("visitor"), "visitor", _VISITOR)
    events = body.get("events")
    identity = _identity(body.get("customer"))
    # A sign-in or a checkout email alone may come with no view: it links the visitor.
    if not isinstance(events, list) or (not events and identity is None):
        raise BatchError("events must be a non-empty list (or empty with a customer)")
    if len(events) > MAX_EVENTS:
        raise BatchError(f"at most {MAX_EVENTS} events per request")
    rows = tuple(_row(i, event, now) for i, event in enumerate(events))
    return Batch(visitor, identity, rows)


def _live_customer(shop_id: int, *match: Any) -> int | None:
    """Only a customer the shop already told us about: the collector creates nobody."""
    customer = ShopScope(shop_id).first(Customer, *match, Customer.redacted_at.is_(None))
    return customer.id if customer is not None else None


def believed_customer(shop: Shop, identity: Identity | None) -> int | None:
    """The customer the claim proves, or None (the views stay the anonymous visitor's)."""
    if identity is None:
        return None
    if identity.token is not None:
        try:
            customer_id = read_identity_token(identity.token, shop.id)
        except InvalidToken:
            return None
        return _live_customer(shop.id, Customer.id == customer_id)
    if identity.checkout is not None:
        cart = ShopScope(shop.id).first(Cart, Cart.cart_key == identity.checkout)
        if cart is None or cart.customer_id is None:
            return None  # the shop has not sent us this checkout (yet): nothing proves whose
        return _live_customer(shop.id, Customer.id == cart.customer_id)
    if _signed_by_plugin(shop, identity):
        match = Customer.platform_customer_id == identity.platform_customer_id
        return _live_customer(shop.id, match)
    log.info("collect: identity claim without proof ignored", extra=log_fields(shop=shop.id))
    return None


def link_visitor(shop_id: int, visitor_id: str, customer_id: int) -> None:
    """The visitor is this customer: link them, and their earlier views join the customer's."""
    scope = ShopScope(shop_id)
    new = insert_ignoring_conflict(
        StorefrontVisitor,
        {"shop_id": shop_id, "visitor_id": visitor_id, "customer_id": customer_id},
    )
    if new is None:  # linked before: relink when the same browser now signs in as someone else
        db.session.execute(
            scope.update(StorefrontVisitor, StorefrontVisitor.visitor_id == visitor_id).values(
                customer_id=customer_id, linked_at=utcnow()
            )
        )
    db.session.execute(
        scope.update(
            StorefrontEvent,
            StorefrontEvent.visitor_id == visitor_id,
            StorefrontEvent.customer_id.is_(None),
        ).values(customer_id=customer_id)
    )


def _linked_customer(shop_id: int, visitor_id: str) -> int | None:
    link = ShopScope(shop_id).first(StorefrontVisitor, StorefrontVisitor.visitor_id == visitor_id)
    return link.customer_id if link is not None else None


def store_batch(shop: Shop, batch: Batch) -> int:
    """Append the batch in one multi-row INSERT; the caller commits. Returns the rows stored."""
    customer_id = believed_customer(shop, batch.identity)
    if customer_id is not None:
        link_visitor(shop.id, batch.visitor_id, customer_id)
    else:
        customer_id = _linked_customer(shop.id, batch.visitor_id)
    now = utcnow()
    rows = [
        {
            **row,
            "shop_id": shop.id,
            "visitor_id": batch.visitor_id,
            "customer_id": customer_id,
            "received_at": now,
        }
        for row in batch.rows
    ]
    if rows:  # a sign-in alone links the visitor and stores nothing
        _append(rows)
    return len(rows)


_COLUMNS = (
    "shop_id",
    "visitor_id",
    "customer_id",
    "kind",
    "product_id",
    "variant_id",
    "detail",
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


def expected_collect_key(shop: Shop) -> str:
    """The key the shop's pages carry. A WooCommerce store derives it from the connection's
    shared secret, as the plugin does (HMAC: public, and no new exchange at connect); other
    shops have one made for them (``ensure_collect_key``). '' when there is none yet."""
    secret = _woocommerce_secret(shop)
    if secret:
        digest = hmac.new(secret.encode(), b"storeflow collect key", hashlib.sha256)
        return digest.hexdigest()[:32]
    return shop.storefront_tracking.collect_key


def _woocommerce_secret(shop: Shop) -> str | None:
    secret = shop.credentials.get("shared_secret") if shop.platform == "woocommerce" else None
    return str(secret) if secret else None


def _signed_by_plugin(shop: Shop, identity: Identity) -> bool:
    """A WooCommerce store signs its signed-in customer's id with the shared secret, on the
    server: the page carries the signature and cannot make one for anybody else."""
    secret = _woocommerce_secret(shop)
    if secret is None or identity.platform_customer_id is None or identity.signature is None:
        return False
    message = f"customer:{identity.platform_customer_id}".encode()
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, identity.signature)


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(shop: Shop) -> set[str]:
    """The shop's storefronts: the connected URL, its own domain, the custom ones it listed."""
    urls = (shop.store_url, f"https://{shop.domain}", *shop.storefront_tracking.origins)
    return {origin for origin in map(_origin, urls) if origin}


def is_storefront_origin(shop: Shop, url: str | None) -> bool:
    return bool(url) and _origin(str(url)) in allowed_origins(shop)


def identified_landing(shop: Shop, customer_id: int | None, target: str) -> str:
    """The email link's target with the customer's identity token added, when the target is
    one of the shop's own storefronts (never handed to another site) and the customer is
    still one of the shop's. Whether the browser keeps it is the storefront script's call,
    made on the visitor's consent."""
    if customer_id is None or not is_storefront_origin(shop, target):
        return target
    # Views feed marketing email: a customer who never agreed to it, or withdrew, is not linked.
    consenting = Customer.email_consent == "granted"
    if _live_customer(shop.id, Customer.id == customer_id, consenting) is None:
        return target
    parts = urlsplit(target)
    # Appended to the query as it is: re-encoding it could break a link the shop signed.
    added = f"{IDENTITY_PARAM}={identity_token(shop.id, customer_id)}"
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


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
