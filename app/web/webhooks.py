"""``POST /webhooks/<platform>``: verify, store, commit, enqueue, answer. Nothing else.

No platform API calls and no flow logic happen here: platforms give us seconds to answer
(Shopify 5 s in all) and disable endpoints that are slow or failing.

What a delivery costs, at most (issue 18, ``bench/ingest_wrk.py``): no read of the shop while this
process remembers it (``known_shops``: 30 s, forgotten on our own changes, read again before a
signature is refused), one round trip to PostgreSQL (``INSERT ... ON CONFLICT DO NOTHING
RETURNING id`` in autocommit: stored and committed before we answer, no BEGIN/COMMIT/ROLLBACK,
no pool ping; sent as driver SQL on a raw pooled connection, ``sql.execute_committed``), and
none to Redis: the process wakes a drain from a thread of its own within ``DELIVERY_WAKE_MS``
(``deferred_wake``; in the request when that is 0, as in the tests).
A dead pooled connection is replaced and the statement sent again; PostgreSQL down is a 503
with ``Retry-After`` (``web/errors.py``), which the platforms retry; Redis down is still a 200,
the minute tick wakes a drain for the row.

The decision is ``handle``: this view calls it, and so does the lean WSGI path in front of
Flask (``app/web/fastpath.py``) that answers a plain delivery without Flask's request machinery.
"""

from __future__ import annotations

import logging
from typing import Literal

from flask import Blueprint, Response, abort, jsonify, request

from app import connectors
from app.connectors.base import Envelope, EnvelopeError, Platform, SignatureError
from app.logs import fields as log_fields
from app.models import Shop, WebhookDelivery
from app.pipeline import known_shops
from app.pipeline.deferred_wake import wake_soon
from app.pipeline.ingest import classify, store_delivery, wake_quietly

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def _answer(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"status": status, "message": message}), status


# The columns' lengths, read once: read through the mapped attributes on every delivery they
# cost about 25 µs of the 0.65 ms of CPU a delivery takes in the web process.
_ID_LIMIT = WebhookDelivery.__table__.c.delivery_id.type.length
_TOPIC_LIMIT = WebhookDelivery.__table__.c.topic.type.length


def _too_long(envelope: Envelope) -> str | None:
    """Routing values longer than their columns would fail the insert after we verified."""
    for name, value, limit in (
        ("delivery id", envelope.delivery_id, _ID_LIMIT),
        ("topic", envelope.topic, _TOPIC_LIMIT),
    ):
        if limit is not None and len(value) > limit:
            return f"{name} longer than {limit} characters"
    return None


@bp.post("/webhooks/<platform>")
def receive(platform: str) -> tuple[Response, int]:
    connector = connectors.get(platform)
    if connector is None:  # unknown, or the demo platform where it is not enabled
        abort(404)
    body = request.get_data(cache=True)  # the raw bytes the signature covers
    return _answer(*handle(connector, dict(request.headers), body))


def handle(connector: Platform, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    """The answer to one delivery (status, message): what this view sends, and what the lean
    WSGI path in front of Flask sends for the same request (``app/web/fastpath.py``). Needs an
    app context only; the database being down raises (the callers answer 503)."""
    try:
        envelope = connector.read_envelope(headers, body)
    except SignatureError as exc:  # checked before the routing headers (Shopify: app secret)
        log.warning(
            "webhook signature rejected: %s", exc, extra=log_fields(platform=connector.name)
        )
        return 401, "invalid signature"
    except EnvelopeError as exc:
        log.warning("webhook rejected: %s", exc, extra=log_fields(platform=connector.name))
        return 400, str(exc)
    too_long = _too_long(envelope)
    if too_long:
        log.warning("webhook rejected: %s", too_long, extra=log_fields(platform=connector.name))
        return 400, too_long
    if envelope.is_ping:
        log.info(
            "webhook ping",
            extra=log_fields(platform=connector.name, shop_domain=envelope.shop_domain),
        )
        return 200, "pong"
    shop = _verified_shop(connector, envelope, headers, body)
    if shop is False:
        return 401, "invalid signature"
    if shop is None:
        # Signed with the app secret but for a shop we do not know (e.g. never finished
        # installing): nothing to attach it to; a 200 stops pointless retries.
        log.warning("webhook for unknown shop", extra=log_fields(shop_domain=envelope.shop_domain))
        return 200, "unknown shop; ignored"

    status, error = classify(connector, envelope.topic, body)
    # Committed by the time it returns, in one round trip: nothing left to commit here.
    delivery_id = store_delivery(shop, connector, envelope, body, status, error, committed=True)
    extra = {"shop": shop.id, "delivery": envelope.delivery_id, "topic": envelope.topic}
    if status == "failed":
        log.warning("webhook with malformed body stored as failed", extra=log_fields(extra))
        return 400, error or "malformed body"
    if delivery_id is None:
        log.info("duplicate webhook delivery", extra=log_fields(extra))
        # A retry: the first copy's answer may have been lost with its wake-up (the database
        # cut between commit and answer, Redis down). Waking a drain costs one SET and the
        # drain takes the row if it is still waiting; processed rows are left alone.
        wake_quietly()
        return 200, "duplicate"
    if status == "received":
        wake_soon(delivery_id)
    return 200, status


def _verified_shop(
    connector: Platform, envelope: Envelope, headers: dict[str, str], body: bytes
) -> Shop | Literal[False] | None:
    """The delivery's shop (None: unknown), or False when the signature does not verify.

    The shop may be one this process remembers (``known_shops``); before refusing a delivery
    on what it says (a secret rotated since, a store reconnected), the shop is read again."""
    shop, fresh = known_shops.find(connector.name, envelope.shop_domain)
    while True:
        try:
            connector.verify(shop, headers, body)
            return shop
        except SignatureError as exc:
            if not fresh:
                shop, fresh = known_shops.reload(connector.name, envelope.shop_domain), True
                continue
            log.warning(
                "webhook signature rejected: %s",
                exc,
                extra=log_fields(platform=connector.name, shop_domain=envelope.shop_domain),
            )
            return False
