"""Who is looking at the embedded page: proven again on every request, never by a cookie.

Inside Shopify admin our page is a third-party iframe, where browsers block or partition
cookies, and Shopify's review expects session tokens. So nothing is remembered between
requests: each one carries the proof of the shop that opens the page.

- Shopify: the ID (session) token. A document load carries it as ``?id_token=``; everything
  the page sends afterwards carries a fresh one from App Bridge in ``Authorization: Bearer``.
- WordPress: the plugin's signed ``wp_token`` (``?wp_token=`` on the iframe's first load,
  then ``Authorization: WordPress <token>``), checked against the store's secret each time.
- Development only: a signed ``dev_token`` (``/embedded/dev-login/<shop>``), carried the same
  way as ``Authorization: Dev <token>``.

A POST is accepted only with the token in the ``Authorization`` header. That header is what
keeps form posts safe from cross-site forgery: no browser attaches it on its own, and a
cross-site script cannot set it without a CORS preflight we never answer. Nothing ambient (no
cookie) is left for a forged request to ride on.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlparse

import jwt
from flask import Response, abort, current_app, request

from app.connectors.base import SignatureError
from app.connectors.shopify.auth import is_shop_domain
from app.connectors.woocommerce.tokens import embedded_sign_in
from app.emails.i18n import resolve_locale
from app.logs import fields as log_fields
from app.models import Shop, ShopScope, db
from app.pipeline.ingest import find_shop
from app.web.shopify_app import PATCH_PATH, verified_admin_request

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
DEV_TOKEN_SECONDS = 3600
_DEV_AUDIENCE = "storeflow-embedded-dev"
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"

# Said in the merchant's language when the page cannot prove who is looking.
TEXT: dict[str, str] = {
    "en": "Open this page from your shop's admin to sign in.",
    "pl": "Otwórz tę stronę z panelu administracyjnego sklepu, aby się zalogować.",
    "ro": "Deschideți această pagină din panoul de administrare al magazinului pentru a vă "
    "autentifica.",
}


@dataclass(frozen=True)
class Visit:
    """One request's proven visitor: the shop, how it was proven, and what the page must
    send back on its next request (``None`` for Shopify: App Bridge hands out fresh tokens)."""

    shop: Shop
    via: str
    carried: str | None = None


def _refuse(status: int = 401, headers: dict[str, str] | None = None) -> NoReturn:
    locale = resolve_locale(request.accept_languages.best_match(list(TEXT)) or "en")
    body = TEXT.get(locale, TEXT["en"])
    abort(Response(body, status, headers=headers or {}, mimetype="text/plain"))


def _active(shop: Shop | None) -> Shop:
    # An uninstalled or disconnected shop's page must not keep working on a token in flight.
    if shop is None or shop.status != "active":
        _refuse()
    return shop


def _from_shopify(background: bool) -> Visit:
    result, refused = verified_admin_request()
    if refused is not None:
        abort(refused)
    claims = result.id_token.claims
    dest = urlparse(str(claims.get("dest", ""))).hostname or ""
    issuer = urlparse(str(claims.get("iss", "")))
    # The library checks signature, aud and exp/nbf (10 s leeway); the shop must be one
    # myshopify.com host named alike by dest and iss, and the token must expire at all.
    if not is_shop_domain(dest) or issuer.hostname != dest or "exp" not in claims:
        log.info("shopify id token names no consistent shop", extra=log_fields(dest=dest))
        _refuse(headers={RETRY_HEADER: "1"} if background else None)
    shop = find_shop("shopify", dest)
    if shop is None or shop.status != "active":
        if background:
            _refuse()
        # Not installed (or uninstalled): the app home installs it from this same token.
        abort(Response(status=302, headers={"Location": f"/shopify?{_query()}"}))
    return Visit(shop, "shopify")


def _query() -> str:
    return request.query_string.decode()


def _from_wordpress(token: str) -> Visit:
    try:
        shop, _user = embedded_sign_in(token)
    except SignatureError as exc:
        log.info("wordpress page token refused: %s", exc)
        _refuse()
    return Visit(_active(shop), "woocommerce", f"WordPress {token}")


def _dev_key() -> bytes:
    # A key of its own, derived from the app's secret: a dev token can open nothing else.
    return hashlib.sha256(
        b"embedded-dev-token:" + current_app.config["SECRET_KEY"].encode()
    ).digest()


def issue_dev_token(shop: Shop, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"aud": _DEV_AUDIENCE, "shop": shop.id, "iat": issued}
    claims["exp"] = issued + DEV_TOKEN_SECONDS
    return jwt.encode(claims, _dev_key(), algorithm="HS256")


def _from_dev(token: str) -> Visit:
    if current_app.config["STOREFLOW_ENV"] == "production":
        _refuse()
    try:
        claims = jwt.decode(
            token,
            _dev_key(),
            algorithms=["HS256"],
            audience=_DEV_AUDIENCE,
            options={"require": ["exp", "aud", "shop"]},
        )
    except jwt.PyJWTError as exc:
        log.info("development page token refused: %s", exc)
        _refuse()
    return Visit(_active(db.session.get(Shop, int(claims["shop"]))), "dev", f"Dev {token}")


_SCHEMES: dict[str, Callable[[str], Visit]] = {
    "WordPress": _from_wordpress,
    "Dev": _from_dev,
}
_QUERY_TOKENS: dict[str, Callable[[str], Visit]] = {
    "wp_token": _from_wordpress,
    "dev_token": _from_dev,
}


def _authenticate() -> Visit:
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme == "Bearer":
        return _from_shopify(background=True)
    if scheme in _SCHEMES and token:
        return _SCHEMES[scheme](token.strip())
    if authorization:
        _refuse()
    if request.method != "GET":
        _refuse()  # a post must carry its token in the header (see the module's docstring)
    if request.args.get("id_token"):
        return _from_shopify(background=False)
    for name, verify in _QUERY_TOKENS.items():
        if request.args.get(name):
            return verify(request.args[name])
    if is_shop_domain(request.args.get("shop")) and request.args.get("embedded") == "1":
        # Opened inside Shopify admin without a token: App Bridge's page fetches one.
        refused = verified_admin_request()[1]
        abort(refused or Response(status=302, headers={"Location": PATCH_PATH}))
    _refuse()


_VISIT_KEY = "storeflow.embedded_visit"  # held by the request itself: g may outlive it


def current_visit() -> Visit:
    """This request's visitor, proven once per request (never from a cookie)."""
    visit = request.environ.get(_VISIT_KEY)
    if visit is None:
        visit = request.environ[_VISIT_KEY] = _authenticate()
    return visit


def current_shop() -> Shop:
    return current_visit().shop


def login_required(view: F) -> F:
    """Refuse a request without proof of its shop; run the view with every ORM statement
    held to that shop, a net under the explicit ``ShopScope`` queries."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with ShopScope(current_shop().id).guard():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def proven_shop() -> Shop | None:
    """The shop this request proved, if it got that far (for headers set after the view)."""
    visit = request.environ.get(_VISIT_KEY)
    return visit.shop if visit is not None else None


def renewal_origin(visit: Visit) -> str:
    """Where the page asks for a fresh WordPress token before its five minutes run out: the
    plugin's admin page framing it (the store's origin); nowhere for the other visitors."""
    if visit.via != "woocommerce":
        return ""
    parts = urlparse(visit.shop.store_url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors(shop: Shop | None) -> str:
    """Where this shop's admin may frame us: Shopify's admin, the WordPress store, or (a
    development shop, a refused request) nothing but our own pages."""
    if shop is not None and shop.platform == "shopify":
        return f"frame-ancestors https://{shop.domain} https://admin.shopify.com"
    if shop is not None and shop.platform == "woocommerce":
        return f"frame-ancestors {shop.store_url}"
    return "frame-ancestors 'self'"
