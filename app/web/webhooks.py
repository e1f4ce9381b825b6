"""``POST /webhooks/<platform>``: verify, store, commit, enqueue, answer. Nothing else.

No platform API calls and no flow logic happen here: platforms give us seconds to answer
(Shopify 5 s in all) and disable endpoints that are slow or failing.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, jsonify, request

from app import connectors
from app.connectors.base import Envelope, EnvelopeError, SignatureError
from app.logs import fields as log_fields
from app.models import WebhookDelivery, db
from app.pipeline.ingest import classify, enqueue_delivery, find_shop, store_delivery

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def _answer(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"status": status, "message": message}), status


def _too_long(envelope: Envelope) -> str | None:
    """Routing values longer than their columns would fail the insert after we verified."""
    for name, value, limit in (
        ("delivery id", envelope.delivery_id, WebhookDelivery.delivery_id.type.length),
        ("topic", envelope.topic, WebhookDelivery.topic.type.length),
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
    headers = dict(request.headers)
    try:
        envelope = connector.read_envelope(headers, body)
    except SignatureError as exc:  # checked before the routing headers (Shopify: app secret)
        log.warning("webhook signature rejected: %s", exc, extra=log_fields(platform=platform))
        return _answer(401, "invalid signature")
    except EnvelopeError as exc:
        log.warning("webhook rejected: %s", exc, extra=log_fields(platform=platform))
        return _answer(400, str(exc))
    too_long = _too_long(envelope)
    if too_long:
        log.warning("webhook rejected: %s", too_long, extra=log_fields(platform=platform))
        return _answer(400, too_long)
    if envelope.is_ping:
        log.info(
            "webhook ping", extra=log_fields(platform=platform, shop_domain=envelope.shop_domain)
        )
        return _answer(200, "pong")
    shop = find_shop(platform, envelope.shop_domain)
    try:
        connector.verify(shop, headers, body)
    except SignatureError as exc:
        log.warning(
            "webhook signature rejected: %s",
            exc,
            extra=log_fields(platform=platform, shop_domain=envelope.shop_domain),
        )
        return _answer(401, "invalid signature")
    if shop is None:
        # Signed with the app secret but for a shop we do not know (e.g. never finished
        # installing): nothing to attach it to; a 200 stops pointless retries.
        log.warning("webhook for unknown shop", extra=log_fields(shop_domain=envelope.shop_domain))
        return _answer(200, "unknown shop; ignored")

    status, error = classify(connector, envelope.topic, body)
    delivery_id = store_delivery(shop, connector, envelope, body, status, error)
    # Read before the commit: the shop's attributes expire with it, and reading one after
    # would cost another SELECT of the shop on every delivery.
    extra = {"shop": shop.id, "delivery": envelope.delivery_id, "topic": envelope.topic}
    db.session.commit()
    if status == "failed":
        log.warning("webhook with malformed body stored as failed", extra=log_fields(extra))
        return _answer(400, error or "malformed body")
    if delivery_id is None:
        log.info("duplicate webhook delivery", extra=log_fields(extra))
        return _answer(200, "duplicate")
    if status == "received":
        enqueue_delivery(delivery_id)
    return _answer(200, status)
