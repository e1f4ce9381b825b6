"""Signed links to labels: they carry addresses, so a link is unguessable and expires.

The merchant admin page will sit behind its own login later; until then these links are how a
merchant (or the demo) downloads labels.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.connectors.couriers.names import carrier_name
from app.models import Order, Shipment, Shop, ShopScope, db
from app.shipping import pickup, texts
from app.shipping.tracking import ATTENTION

MAX_AGE = 7 * 24 * 3600


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"storeflow-labels-{kind}")


def sign(kind: str, payload: dict[str, Any]) -> str:
    return str(_serializer(kind).dumps(payload))


def load(kind: str, token: str) -> dict[str, Any] | None:
    """The signed payload, or None for a forged, altered or expired token."""
    try:
        payload = _serializer(kind).loads(token, max_age=MAX_AGE)
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None


def shop_page_url(shop_id: int) -> str:
    # Built by hand: CLI commands and jobs have no request to build URLs from.
    token = sign("shop", {"shop": shop_id})
    return f"{current_app.config['PUBLIC_URL']}/labels/shop/{token}"


def shop_for(token: str) -> Shop | None:
    """The shop a signed label-page token names; None for a forged or expired one."""
    payload = load("shop", token)
    return db.session.get(Shop, payload["shop"]) if payload else None


def label_page(shop: Shop, token: str) -> dict[str, Any]:
    """What the label page shows (``labels/shop.html`` and the pages extending it)."""
    scope = ShopScope(shop.id)
    orders = {o.id: o for o in scope.all(Order)}
    shipments = scope.session.scalars(scope.select(Shipment).order_by(Shipment.id.desc())).all()
    locale = texts.locale_of(shop.locale)
    return {
        "shop": shop,
        "token": token,
        "shipments": shipments,
        "orders": orders,
        # Where each parcel is, in the merchant's language; trouble (exception, return) first.
        "tracking_names": texts.STATUS_NAMES[locale],
        "tracking_text": texts.PAGE[locale],
        "text": texts.LABELS[locale],
        "label_states": texts.LABEL_STATES[locale],
        "locale": locale,
        "carrier_names": {s.id: carrier_name(shop, s) for s in shipments},
        "attention": [s for s in shipments if s.tracking_status in ATTENTION],
        "needs_attention": ATTENTION,
        "pickup_button": texts.PICKUP[locale]["button"] if pickup.can_order_pickup(shop) else "",
        "pickup_outcome": _pickup_outcome(shop, locale),
    }


def _pickup_outcome(shop: Shop, locale: str) -> str:
    ordered = pickup.ordered_today(shop)
    return texts.pickup_outcome(ordered.details, locale) if ordered is not None else ""
