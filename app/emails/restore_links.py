"""Signed, expiring links that bring a shopper back to their cart, discount applied.

Emails carry ``/r/<token>`` on our host: the token names the shop, the cart and the discount
code and expires. ``app/web/restore.py`` serves the link; the flows only make it.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from itsdangerous import BadSignature

from app.emails.signing import link_signer
from app.models import Cart, Shop

_SALT = "storeflow-cart-restore"


def restore_link(shop: Shop, cart: Cart, discount_code: str | None, expires_at: float) -> str:
    token = link_signer(_SALT).dumps(
        {"s": shop.id, "k": cart.cart_key, "d": discount_code, "x": int(expires_at)}
    )
    return f"{current_app.config['PUBLIC_URL']}/r/{token}"


def read_restore_token(token: str, now: float | None = None) -> dict[str, Any]:
    """The link's payload; ValueError when forged, damaged or expired."""
    try:
        payload = link_signer(_SALT).loads(token)
    except BadSignature:
        raise ValueError("restore link is not valid") from None
    if int(payload.get("x", 0)) < (time.time() if now is None else now):
        raise ValueError("restore link has expired")
    return dict(payload)
