"""What flows and labels ask of a WooCommerce store: discount coupons and tracking numbers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.connectors.base import DiscountRefused, DiscountResult, DiscountSpec
from app.connectors.couriers.names import carrier_name
from app.connectors.fields import parse_time
from app.connectors.woocommerce.client import StoreApiError, StoreClient
from app.connectors.woocommerce.mapping import CANCELLED_STATUSES, CART_KEY_META, meta_value
from app.logs import fields as log_fields
from app.models import Order, Shipment, Shop, utcnow

log = logging.getLogger(__name__)
TRACKING_META_KEY = "_storeflow_tracking"


def coupon_body(spec: DiscountSpec) -> dict[str, object]:
    """A single-use, recipient-bound, expiring percentage coupon."""
    body: dict[str, object] = {
        "code": spec.code,
        "discount_type": "percent",
        "amount": str(spec.percentage.quantize(Decimal("0.01"))),
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        # WooCommerce sets only ``date_expires`` (there is no setter behind ``date_expires_gmt``,
        # which it silently drops); an ISO time with its offset is read as that instant, not
        # in the site's timezone.
        "date_expires": _iso_with_offset(spec.expires_at),
        "description": spec.title,
    }
    if spec.recipient_email:
        body["email_restrictions"] = [spec.recipient_email]
    return body


class CouponExpiryError(DiscountRefused):
    """The store kept the coupon without the expiry we asked for: it must not be mailed."""


class CouponCollisionError(DiscountRefused):
    """The store holds a coupon under our code that is not the one this message asked for
    (another recipient, or already used): mailing it would hand out someone else's code."""


def _is_ours(coupon: dict[str, Any], spec: DiscountSpec) -> bool:
    """Whether a coupon found under our code is the one a retried job made for this message."""
    emails = [str(e).lower() for e in coupon.get("email_restrictions") or []]
    wanted = [spec.recipient_email.lower()] if spec.recipient_email else []
    return emails == wanted and not int(coupon.get("usage_count") or 0)


# The store keeps whole seconds; anything beyond a minute off is not the date we promise.
_EXPIRY_TOLERANCE = timedelta(minutes=1)


def _iso_with_offset(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _expiry_sticks(coupon: dict[str, Any], spec: DiscountSpec) -> bool:
    stored = parse_time(coupon.get("date_expires_gmt"), naive_is_utc=True)
    return stored is not None and abs(stored - spec.expires_at) <= _EXPIRY_TOLERANCE


def create_discount(shop: Shop, spec: DiscountSpec) -> DiscountResult:
    """Create the coupon, read back what the store kept, and refuse a code whose expiry did
    not stick (the email promises a date): one repair is tried, then CouponExpiryError."""
    client = StoreClient(shop)
    try:
        created = client.call("POST", "coupons", coupon_body(spec))
    except StoreApiError as exc:
        # A retried job finds the coupon it made last time: reuse it instead of failing.
        if exc.code != "woocommerce_rest_coupon_code_already_exists":
            raise
        existing = client.call("GET", "coupons", code=spec.code)
        if not existing:
            raise
        created = existing[0]
        if not _is_ours(created, spec):
            raise CouponCollisionError(
                f"{shop.domain} already has coupon {spec.code} for someone else"
            ) from exc
    if not _expiry_sticks(created, spec):
        repair = {"date_expires": _iso_with_offset(spec.expires_at)}
        created = client.call("PUT", f"coupons/{created['id']}", repair)
        if not _expiry_sticks(created, spec):
            log.warning("coupon expiry did not stick", extra=log_fields(shop=shop.id))
            kept = created.get("date_expires_gmt")
            raise CouponExpiryError(
                f"{shop.domain} kept coupon {created['code']} without expiry "
                f"{_iso_with_offset(spec.expires_at)} (the store says {kept})"
            )
    return DiscountResult(code=created["code"], platform_discount_id=str(created["id"]))


def _shipment_tracking_body(shop: Shop, shipment: Shipment) -> dict[str, object]:
    # WooCommerce Shipment Tracking: a "custom provider" needs a name and a link; customers
    # read the name in their order, so it is the carrier's, not our courier key.
    return {
        "custom_tracking_provider": carrier_name(shop, shipment),
        "custom_tracking_link": shipment.tracking_url or "",
        "tracking_number": shipment.tracking_number or "",
        "date_shipped": _shipped_on(shipment),
    }


def _ast_body(shop: Shop, shipment: Shipment) -> dict[str, object]:
    # Advanced Shipment Tracking matches the provider by name against its own list.
    return {
        "tracking_provider": shipment.courier,
        "tracking_number": shipment.tracking_number or "",
        "date_shipped": _shipped_on(shipment),
        "status_shipped": 1,
    }


def _shipped_on(shipment: Shipment) -> str:
    return (shipment.created_at or utcnow()).astimezone(UTC).strftime("%Y-%m-%d")


# Tracking plugins, tried in this order on the same path under their own namespace.
TRACKING_BODIES: dict[str, Callable[[Shop, Shipment], dict[str, object]]] = {
    "wc-shipment-tracking/v3": _shipment_tracking_body,
    "wc-ast/v3": _ast_body,
}


def push_tracking(
    shop: Shop, order: Order, shipment: Shipment, *, notify_customer: bool = True
) -> None:
    """Tell the store (and so the customer) the parcel's tracking number."""
    endpoint = f"orders/{order.platform_order_id}/shipment-trackings"
    for namespace, body in TRACKING_BODIES.items():
        try:
            StoreClient(shop, namespace).call("POST", endpoint, body(shop, shipment))
        except StoreApiError as exc:
            if exc.status != 404:  # 404 rest_no_route: that plugin is not installed
                raise
            continue
        log.info("tracking pushed", extra=log_fields(shop=shop.id, namespace=namespace))
        return
    _tracking_note(shop, order, shipment)


def _tracking_note(shop: Shop, order: Order, shipment: Shipment) -> None:
    # No tracking plugin: a customer note (WooCommerce emails it) plus meta for other tools.
    client = StoreClient(shop)
    link = f" {shipment.tracking_url}" if shipment.tracking_url else ""
    carrier = carrier_name(shop, shipment)
    note = f"Your parcel is on its way with {carrier}: {shipment.tracking_number}{link}"
    client.call(
        "POST", f"orders/{order.platform_order_id}/notes", {"note": note, "customer_note": True}
    )
    meta = {
        "courier": shipment.courier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": shipment.tracking_url,
    }
    client.call(
        "PUT",
        f"orders/{order.platform_order_id}",
        {"meta_data": [{"key": TRACKING_META_KEY, "value": meta}]},
    )
    log.info("tracking pushed as order note", extra=log_fields(shop=shop.id, order=order.id))


# Orders that never became a purchase: the shopper may still want the reminder.
NOT_PURCHASES = CANCELLED_STATUSES | {"failed", "trash", "checkout-draft"}


def orders_since(
    shop: Shop, *, email: str | None, cart_key: str | None, since: datetime
) -> bool | None:
    """Ask the store for the shopper's orders created since ``since`` (None without an email:
    the REST API cannot search by our cart key)."""
    if not email:
        return None
    rows = StoreClient(shop).call(
        "GET",
        "orders",
        search=email,
        after=since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        dates_are_gmt="true",
        per_page=20,
    )
    return any(_is_purchase_by(row, email, cart_key) for row in rows)


def _is_purchase_by(row: dict[str, Any], email: str, cart_key: str | None) -> bool:
    # ``search`` matches substrings of any field: confirm the order really is this shopper's.
    billing = str((row.get("billing") or {}).get("email") or "")
    ours = billing.lower() == email.lower() or (
        cart_key is not None and meta_value(row, CART_KEY_META) == cart_key
    )
    return ours and row.get("status") not in NOT_PURCHASES
