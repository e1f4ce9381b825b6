"""Deliveries the demo platform sends: signed like a shop signs them, then either posted over
HTTP to the running service (the commands) or handed to the pipeline in this process (the demo
page, which is itself the service: posting to ourselves could wait on our own busy worker).

Either way the delivery is stored, committed and processed by a worker like any shop's.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import requests
from flask import current_app

from app.connectors.base import hmac_sha256
from app.demo.platform import PLATFORM
from app.models import Shop, db
from app.pipeline.ingest import classify, enqueue_delivery, store_delivery


def signed_delivery(
    shop: Shop, topic: str, payload: dict[str, Any], delivery_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery, signed with the shop's webhook secret."""
    body = json.dumps(payload).encode()
    signature = base64.b64encode(hmac_sha256(shop.credentials["webhook_secret"], body)).decode()
    headers = {
        "Content-Type": "application/json",
        "X-Demo-Shop": shop.domain,
        "X-Demo-Topic": topic,
        "X-Demo-Delivery-Id": delivery_id or uuid.uuid4().hex,
        "X-Demo-Hmac-Sha256": signature,
    }
    return body, headers


def post(shop: Shop, topic: str, payload: dict[str, Any]) -> requests.Response:
    """Send one signed delivery to the service at ``PUBLIC_URL``, as the demo platform would."""
    body, headers = signed_delivery(shop, topic, payload)
    return requests.post(
        f"{current_app.config['PUBLIC_URL']}/webhooks/demo", data=body, headers=headers, timeout=10
    )


def deliver_here(shop: Shop, topic: str, payload: dict[str, Any]) -> str:
    """Store a signed delivery, commit, and hand it to a worker, as the webhook view does."""
    body, headers = signed_delivery(shop, topic, payload)
    PLATFORM.verify(shop, headers, body)  # what the view checks; a demo bug shows here
    envelope = PLATFORM.read_envelope(headers, body)
    status, error = classify(PLATFORM, topic, body)
    delivery_id = store_delivery(shop, PLATFORM, envelope, body, status, error)
    db.session.commit()
    if delivery_id is not None and status == "received":
        enqueue_delivery(delivery_id)
    return status
