"""Signed, expiring links that bring a shopper back to their cart, discount applied.

Emails carry ``/r/<token>`` on our host: the token names the shop, the cart and the discount
code and expires; the route checks it and redirects to what rebuilds the cart on the platform
(Shopify's ``abandoned_checkout_url`` through a discount link, the WordPress plugin's restore
endpoint, or for the demo platform a page of ours).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, abort, redirect, render_template_string
from werkzeug.wrappers import Response

from app.connectors.base import SignatureError
from app.emails.restore_links import read_restore_token
from app.models import Cart, Shop, ShopScope, db

bp = Blueprint("restore", __name__)


def _shopify_target(shop: Shop, cart: Cart, code: str | None, expires_at: int) -> str | None:
    if not cart.restore_url:
        return None
    if not code:
        return cart.restore_url
    # Shopify's shareable discount link applies the code, then redirects within the shop.
    parts = urlsplit(cart.restore_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"https://{shop.domain}/discount/{quote(code)}?{urlencode({'redirect': path})}"


def _woocommerce_target(shop: Shop, cart: Cart, code: str | None, expires_at: int) -> str | None:
    """The plugin's ``/?storeflow_restore=<token>``, signed with the store's shared secret."""
    try:
        from app.connectors.woocommerce.tokens import cart_restore_url
    except ImportError:  # a build without the WooCommerce connector
        return cart.restore_url
    try:
        return str(cart_restore_url(shop, cart, code))
    except SignatureError:  # the store is not (or no longer) connected
        return cart.restore_url


def _demo_target(shop: Shop, cart: Cart, code: str | None, expires_at: int) -> str | None:
    return None  # the demo platform has no storefront: our own page shows the rebuilt cart


TARGETS: dict[str, Callable[[Shop, Cart, str | None, int], str | None]] = {
    "shopify": _shopify_target,
    "woocommerce": _woocommerce_target,
    "demo": _demo_target,
}

_DEMO_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ shop.name }}</title>
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
    target = TARGETS.get(shop.platform, _demo_target)(shop, cart, payload["d"], int(payload["x"]))
    if target:
        return redirect(target, code=302)
    return render_template_string(_DEMO_PAGE, shop=shop, cart=cart, code=payload["d"])
