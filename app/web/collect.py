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

The request checks the batch and hands it to this process's write-behind, which writes the
batches of a fifth of a second in one statement (``app/pipeline/view_buffer.py`` says what that
trades and why), and answers 204; a batch naming a customer is written before the answer. No
flow runs here: the browse scan reads the table later.

What a batch costs (issue 14, ``bench/ingest_wrk.py``): no read of the shop while this process
remembers it (``known_shops``; read again before refusing a key, an origin or an inactive
shop), no round trip for the rate limits (counted in the process and shared through Redis
every tenth of a second: ``rate_limit.LazyLimits``), and for a batch that names no
customer no round trip to PostgreSQL either (``view_buffer``); written in the request, it is one
statement in autocommit that also reads the visitor's customer link (the events as one JSON
text; no SQLAlchemy session). The decision is ``handle``, which the
lean WSGI path in front of Flask (``app/web/fastpath.py``) calls too.
"""

from __future__ import annotations

import hmac
import logging
import weakref
from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, request

from app import safe_json
from app.connectors.woocommerce.client import StoreAddressError, store_domain
from app.logs import fields as log_fields
from app.models import Shop, db
from app.pipeline import known_shops
from app.pipeline.storefront import BatchError, expected_collect_key, read_batch, store_batch
from app.pipeline.view_buffer import BufferFull
from app.pipeline.visitors import allowed_origins, origin_of
from app.web.errors import DATABASE_DOWN, MESSAGE, RETRY_AFTER_SECONDS, database_unavailable
from app.web.rate_limit import over_limits_lazily

bp = Blueprint("collect", __name__)
log = logging.getLogger(__name__)

PLATFORMS = ("shopify", "woocommerce", "demo")
MAX_BODY = 64 * 1024
WINDOW = 60
VISITOR_LIMIT = 120  # requests a minute from one visitor (a batch each)
SHOP_LIMIT = 6000  # requests a minute into one shop, from all its visitors


@dataclass(frozen=True)
class Answer:
    """What to send back: ``message`` None is an empty 204; ``origin`` the CORS origin to allow
    (None: no CORS headers); ``retry_after`` seconds, for a 429."""

    status: int
    message: str | None = None
    origin: str | None = None
    retry_after: int | None = None


def response_for(answer: Answer) -> Response:
    if answer.message is None:
        response = Response(status=answer.status)
    else:
        response = jsonify({"status": answer.status, "message": answer.message})
        response.status_code = answer.status
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return _cors(response, answer.origin)


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


# The key and storefronts of a shop as ``known_shops`` remembers it, worked out once per loaded
# shop: otherwise each batch parsed its settings three times (and decrypted a WooCommerce
# secret). A reloaded shop is a new object, so it gets its own.
_GATES: weakref.WeakKeyDictionary[Shop, tuple[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def _gate(shop: Shop) -> tuple[str, frozenset[str]]:
    gate = _GATES.get(shop)
    if gate is None:
        gate = _GATES[shop] = (expected_collect_key(shop), frozenset(allowed_origins(shop)))
    return gate


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
        return response_for(Answer(404, "unknown platform"))
    # Read at most one byte past the limit: a chunked body states no length up front.
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY or (request.content_length or 0) > MAX_BODY:
        return response_for(Answer(413, f"body larger than {MAX_BODY} bytes", origin))
    try:
        return response_for(handle(platform, raw, origin))
    except DATABASE_DOWN as exc:
        return database_down(exc, origin)


def database_down(exc: Exception, origin: str | None) -> Response:
    """The 503 with ``Retry-After`` every route gives, readable by the shop's page (CORS)."""
    return _cors(database_unavailable(exc), origin)


def handle(platform: str, raw: bytes, origin: str | None) -> Answer:
    """The answer to one batch (a known platform, a body within ``MAX_BODY``): what this view
    sends, and what the lean WSGI path in front of Flask sends for the same request
    (``app/web/fastpath.py``). Needs an app context only; the database being down raises."""
    try:
        body = safe_json.loads(raw or b"null")
    except safe_json.MalformedJSON:
        log.warning("collect: body is not JSON", extra=log_fields(platform=platform))
        return Answer(400, "body must be JSON", origin)
    if not isinstance(body, dict):
        return Answer(400, "the body must be a JSON object", origin)
    domain = _shop_domain(platform, str(body.get("shop") or ""))
    given = str(body.get("key") or "")
    shop, fresh = known_shops.find(platform, domain, stale_when_unreachable=True)
    refusal = _refusal(platform, shop, given, origin)
    if refusal is not None and not fresh:
        # Refused on what this process remembers: decide again on the shop as it is now
        # (a key made, an origin listed or the shop reactivated a moment ago).
        shop = known_shops.reload(platform, domain)
        refusal = _refusal(platform, shop, given, origin)
    if refusal is not None or shop is None:
        return refusal or Answer(401, "unknown shop or collect key", origin)
    try:
        batch = read_batch(body)
    except BatchError as exc:
        log.warning("collect: bad batch: %s", exc, extra=log_fields(shop=shop.id))
        return Answer(400, str(exc), origin)
    checks = (
        ("collect-visitor", f"{shop.id}:{batch.visitor_id}", VISITOR_LIMIT),
        ("collect-shop", str(shop.id), SHOP_LIMIT),
    )
    wait = over_limits_lazily(checks, window=WINDOW)
    if wait is not None:
        return Answer(429, "too many events; slow down", origin, retry_after=wait)
    try:
        store_batch(shop, batch)
    except BufferFull:
        # The database has been away long enough for this process to fill its write-behind.
        log.error("collect: views buffer full", extra=log_fields(shop=shop.id))
        return Answer(503, MESSAGE, origin, retry_after=RETRY_AFTER_SECONDS)
    # A batch naming a customer went into the session's transaction; an anonymous one is
    # committed already and opened no session (asking the scoped session would make one).
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()
    return Answer(204, None, origin)


def _refusal(platform: str, shop: Shop | None, given: str, origin: str | None) -> Answer | None:
    """Why this shop's page may not post this (an answer to send), or None when it may."""
    key, origins = _gate(shop) if shop is not None else ("", frozenset[str]())
    if shop is None or not key or not hmac.compare_digest(key.encode(), given.encode()):
        log.warning("collect: unknown shop or key", extra=log_fields(platform=platform))
        return Answer(401, "unknown shop or collect key", origin)
    if shop.status != "active":
        return Answer(403, "shop not active", origin)
    if not origin or origin_of(origin) not in origins:
        log.warning("collect: foreign origin", extra=log_fields(shop=shop.id, origin=origin))
        return Answer(403, "origin is not this shop's storefront")
    return None
