"""Links and tokens for one store: cart restore links, embedded-admin sign-in.

The pure signing lives in ``signing.py``; this module adds the shop's secret and URL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from app.connectors.base import SignatureError
from app.connectors.woocommerce.client import StoreAddressError, store_domain
from app.connectors.woocommerce.signing import (
    issue_restore_token,
    unverified_payload,
    verify_embedded_token,
)
from app.models import Cart, Shop, db
from app.pipeline.visitors import identified_landing

RESTORE_TOKEN_DAYS = 14


def shop_secrets(shop: Shop) -> list[str]:
    """The shared secret, then the one it replaced (deliveries in flight may still use it)."""
    credentials = shop.credentials
    pair = (credentials.get("shared_secret"), credentials.get("previous_shared_secret"))
    return [secret for secret in pair if secret]


def restore_url(
    shop: Shop,
    cart_key: str,
    items: Iterable[tuple[str, str | None, int]],
    discount_code: str | None = None,
    now: float | None = None,
) -> str:
    """A link that rebuilds the cart in the store and applies ``discount_code`` if given.

    ``items`` are ``(product_id, variant_id, quantity)`` as our rows hold them.
    """
    secrets = shop_secrets(shop)
    if not secrets:
        raise SignatureError("store has no shared secret (not connected)")
    expires = int((now or time.time()) + RESTORE_TOKEN_DAYS * 86400)
    rows = [(int(product), int(variant or 0), int(qty)) for product, variant, qty in items]
    token = issue_restore_token(secrets[0], cart_key, rows, discount_code, expires)
    base = shop.store_url
    return f"{base}/?storeflow_restore={token}"


def cart_restore_url(shop: Shop, cart: Cart, discount_code: str | None = None) -> str:
    """The restore link a flow puts in a message, with the code it created for it."""
    rows = [(item["product_id"], item.get("variant_id"), item["quantity"]) for item in cart.items]
    return restore_url(shop, cart.cart_key, rows, discount_code)


def restore_target(shop: Shop, cart: Cart, code: str | None, expires_at: int) -> str:
    """The plugin's ``/?storeflow_restore=<token>``, signed with the store's shared secret now
    (the secret is read when the shopper clicks, never while mapping the cart event).

    Like every other link in our email (``web/email_links.click``), it carries the shopper's
    identity token (``sf_id``) when they are a consenting customer of the store: the plugin
    keeps it, as the product-page script keeps one from a landing URL, so the views they make
    after coming back join their history."""
    try:
        target = cart_restore_url(shop, cart, code)
    except SignatureError:  # the store is not (or no longer) connected: its front page
        target = cart.restore_url or shop.store_url
    return identified_landing(shop, cart.customer_id, target)


def embedded_sign_in(token: str, now: float | None = None) -> tuple[Shop, dict[str, Any]]:
    """The store and WordPress user a plugin-minted admin token names, once verified.

    The payload is read before it is trusted only to find which store's secret checks it.
    """
    claimed = unverified_payload(token).get("store")
    try:
        domain = store_domain(claimed if isinstance(claimed, str) else "")
    except StoreAddressError:
        raise SignatureError("token names no store") from None
    shop = db.session.scalars(
        sa.select(Shop).where(
            Shop.platform == "woocommerce", Shop.domain == domain, Shop.status == "active"
        )
    ).first()
    if shop is None:
        raise SignatureError("token names a store that is not connected")
    for secret in shop_secrets(shop):
        try:
            return shop, verify_embedded_token(secret, token, now or time.time())
        except SignatureError:
            continue
    raise SignatureError("token is not signed by the store")
