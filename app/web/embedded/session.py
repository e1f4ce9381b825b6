"""Who is looking at the embedded page: one shop, held in a short signed session.

The page lives in the platform's iframe. Shopify vouches for the shop with an ID token on the
first load, the WordPress plugin with a ``wp_token`` it signed; either way we keep only the
shop id and an expiry in Flask's signed session cookie, so later clicks need no new token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, session

from app.models import Shop, ShopScope, db

SESSION_KEY = "storeflow_embedded"
SESSION_SECONDS = 3600  # short: the platform hands out a fresh token on each page load
F = TypeVar("F", bound=Callable[..., Any])


def sign_in(shop: Shop, via: str) -> None:
    session[SESSION_KEY] = {
        "shop_id": shop.id,
        "via": via,
        "exp": int(time.time()) + SESSION_SECONDS,
    }


def signed_in_shop() -> Shop | None:
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict) or int(held.get("exp", 0)) < time.time():
        return None
    shop = db.session.get(Shop, int(held["shop_id"]))
    # An uninstalled shop's page must not keep working on an old cookie.
    return shop if shop is not None and shop.status == "active" else None


def current_shop() -> Shop:
    shop = signed_in_shop()
    if shop is None:
        abort(401, "Open this page from your shop's admin to sign in.")
    return shop


def login_required(view: F) -> F:
    """Refuse a browser without a session; run the view with every ORM statement held to
    the signed-in shop, a net under the explicit ``ShopScope`` queries."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with ShopScope(current_shop().id).guard():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def frame_ancestors(shop: Shop | None) -> str:
    """Where this shop's admin may frame us (ourselves too: the preview iframe is ours)."""
    sources = ["'self'"]
    if shop is not None and shop.platform == "shopify":
        sources += [f"https://{shop.domain}", "https://admin.shopify.com"]
    elif shop is not None and shop.platform == "woocommerce":
        sources.append(shop.store_url)
    return "frame-ancestors " + " ".join(sources)
