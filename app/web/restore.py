"""Signed, expiring links that bring a shopper back to their cart, discount applied.

Emails carry ``/r/<token>`` on our host: the token names the shop, the cart and the discount
code and expires; the route checks it and redirects to what rebuilds the cart on the platform
(each platform's ``restore_target``), or shows the cart on a page of ours when the platform
has no storefront (the demo platform).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template_string
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from app import connectors
from app.models import Cart, Shop, ShopScope, db

bp = Blueprint("restore", __name__)
_SALT = "storeflow-cart-restore"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def restore_link(shop: Shop, cart: Cart, discount_code: str | None, expires_at: float) -> str:
    token = _serializer().dumps(
        {"s": shop.id, "k": cart.cart_key, "d": discount_code, "x": int(expires_at)}
    )
    return f"{current_app.config['PUBLIC_URL']}/r/{token}"


def read_restore_token(token: str, now: float | None = None) -> dict[str, Any]:
    """The link's payload; ValueError when forged, damaged or expired."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise ValueError("restore link is not valid") from None
    if int(payload.get("x", 0)) < (time.time() if now is None else now):
        raise ValueError("restore link has expired")
    return dict(payload)


_CART_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ shop.name }}</title>
</head><body><h1>{{ shop.name }}: your cart is back</h1><ul>
{% for item in cart.items %}<li>{{ item.quantity }} x {{ item.title }} — {{ item.unit_price }}
{{ cart.currency }}</li>{% endfor %}</ul>
{% if code %}<p>Discount <strong>{{ code }}</strong> applied.</p>{% endif %}</body></html>"""


@bp.get("/r/<token>")
def restore(token: str) -> Response | str:
    try:
        payload = read_restore_token(token)
    except ValueError as exc:
        abort(410 if "expired" in str(exc) else 404, description=str(exc))
    shop = db.session.get(Shop, int(payload["s"]))
    if shop is None or shop.status != "active":
        abort(404, description="this shop no longer uses Storeflow")
    cart = ShopScope(shop.id).first(Cart, Cart.cart_key == payload["k"])
    if cart is None:
        abort(404, description="this cart is gone")
    platform = connectors.get(shop.platform)
    code, expires_at = payload["d"], int(payload["x"])
    target = platform.restore_target(shop, cart, code, expires_at) if platform else None
    if target:
        return redirect(target, code=302)
    return render_template_string(_CART_PAGE, shop=shop, cart=cart, code=code)
