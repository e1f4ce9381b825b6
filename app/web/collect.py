"""``POST /collect/<platform>``: storefront events (product views, collections, searches).

Who may post: the shop names itself (``shop``: its domain) and shows its public collect key
(``key``), and the browser's ``Origin`` must be one of that shop's storefronts. No signature:
the sender is a shopper's browser, and any secret it held would be readable by everyone who
opens the page, so a signature would prove nothing. The key says which shop; the origin check
keeps other sites' pages from posting into it; the rate limits (per visitor, per shop) bound
what a script that forges both can do, and it can only add views, never read or send.

A WooCommerce store's key is derived from its connection's shared secret (the plugin and we
both compute it); other shops get one made at set-up.

Who the visitor is counts only with proof (a token we issued, the plugin's signature, or a
checkout the shop told us about): a bare customer id or email in the batch is ignored, because
anyone can post here. What an attacker could do otherwise, and what each proof is:
``app/pipeline/visitors.py``.

The request checks, appends the batch in one INSERT, commits and answers 204. No flow runs
here: the browse scan reads the table later.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, jsonify, request

from app import safe_json
from app.connectors.woocommerce.client import StoreAddressError, store_domain
from app.logs import fields as log_fields
from app.models import db
from app.pipeline.ingest import find_shop
from app.pipeline.storefront import BatchError, expected_collect_key, read_batch, store_batch
from app.pipeline.visitors import is_storefront_origin
from app.web.errors import DATABASE_DOWN, database_unavailable
from app.web.rate_limit import over_limit

bp = Blueprint("collect", __name__)
log = logging.getLogger(__name__)

PLATFORMS = ("shopify", "woocommerce", "demo")
MAX_BODY = 64 * 1024
WINDOW = 60
VISITOR_LIMIT = 120  # requests a minute from one visitor (a batch each)
SHOP_LIMIT = 6000  # requests a minute into one shop, from all its visitors


def _answer(status: int, message: str, origin: str | None = None) -> Response:
    response = jsonify({"status": status, "message": message})
    response.status_code = status
    return _cors(response, origin)


def _cors(response: Response, origin: str | None) -> Response:
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _shop_domain(platform: str, given: str) -> str:
    """How the shop is named in ``shops.domain``: a WooCommerce store by its URL's domain."""
    if platform != "woocommerce":
        return given
    try:
        return store_domain(given)
    except StoreAddressError:
        return ""


@bp.route("/collect/<platform>", methods=["OPTIONS"])
def preflight(platform: str) -> Response:
    # fetch() with a JSON body asks first; sendBeacon with text/plain does not.
    response = Response(status=204)
    origin = request.headers.get("Origin")
    response.headers["Access-Control-Allow-Methods"] = "POST"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    return _cors(response, origin)


@bp.post("/collect/<platform>")
def collect(platform: str) -> Response:
    origin = request.headers.get("Origin")
    if platform not in PLATFORMS:
        return _answer(404, "unknown platform")
    # Read at most one byte past the limit: a chunked body states no length up front.
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY or (request.content_length or 0) > MAX_BODY:
        return _answer(413, f"body larger than {MAX_BODY} bytes", origin)
    try:
        body = safe_json.loads(raw or b"null")
    except safe_json.MalformedJSON:
        log.warning("collect: body is not JSON", extra=log_fields(platform=platform))
        return _answer(400, "body must be JSON", origin)
    if not isinstance(body, dict):
        return _answer(400, "the body must be a JSON object", origin)
    try:
        return _collect(platform, body, origin)
    except DATABASE_DOWN as exc:
        return _cors(database_unavailable(exc), origin)


def _collect(platform: str, body: dict[str, object], origin: str | None) -> Response:
    shop = find_shop(platform, _shop_domain(platform, str(body.get("shop") or "")))
    key = expected_collect_key(shop) if shop is not None else ""
    given = str(body.get("key") or "")
    if shop is None or not key or not hmac.compare_digest(key.encode(), given.encode()):
        log.warning("collect: unknown shop or key", extra=log_fields(platform=platform))
        return _answer(401, "unknown shop or collect key", origin)
    if shop.status != "active":
        return _answer(403, "shop not active", origin)
    if not is_storefront_origin(shop, origin):
        log.warning("collect: foreign origin", extra=log_fields(shop=shop.id, origin=origin))
        return _answer(403, "origin is not this shop's storefront")
    try:
        batch = read_batch(body)
    except BatchError as exc:
        log.warning("collect: bad batch: %s", exc, extra=log_fields(shop=shop.id))
        return _answer(400, str(exc), origin)
    for name, subject, limit in (
        ("collect-visitor", f"{shop.id}:{batch.visitor_id}", VISITOR_LIMIT),
        ("collect-shop", str(shop.id), SHOP_LIMIT),
    ):
        wait = over_limit(name, subject, limit=limit, window=WINDOW)
        if wait is not None:
            response = _answer(429, "too many events; slow down", origin)
            response.headers["Retry-After"] = str(wait)
            return response
    store_batch(shop, batch)
    db.session.commit()
    return _cors(Response(status=204), origin)
