"""Signed, expiring links that bring a shopper back to their cart, discount applied.

Emails carry ``/r/<token>`` on our host: the token names the shop, the cart and the discount
code and expires; the route checks it and redirects to what rebuilds the cart on the platform
(each platform's ``restore_target``), or shows the cart on a page of ours when the platform
has no storefront (the demo platform).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template_string
from werkzeug.wrappers import Response

from app import connectors
from app.emails.restore_links import read_restore_token
from app.models import Cart, Shop, ShopScope, db

bp = Blueprint("restore", __name__)
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
