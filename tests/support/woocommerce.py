"""Fixtures for the WooCommerce connector: a connected store and signed deliveries."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.connectors.base import hmac_sha256
from app.models import Shop

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "woocommerce"
SECRET = "5f0c" * 16  # 32 bytes in hex, like the plugin generates
STORE_URL = "https://shop.example"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def compact(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture()
def public_test_hosts(app: Flask) -> Iterator[None]:
    # Test stores (shop.example) do not resolve here; the guard itself is tested explicitly.
    app.config["ALLOW_PRIVATE_STORE_URLS"] = True
    yield
    app.config["ALLOW_PRIVATE_STORE_URLS"] = False


@pytest.fixture()
def woo_shop(make_shop: Callable[..., Shop], public_test_hosts: None) -> Shop:
    return make_shop(
        platform="woocommerce",
        domain="shop.example",
        settings={"store_url": STORE_URL},
        credentials={
            "shared_secret": SECRET,
            "consumer_key": "ck_test",
            "consumer_secret": "cs_test",
        },
    )


@pytest.fixture()
def post_wc_webhook(client: FlaskClient, woo_shop: Shop) -> Callable[..., Any]:
    """POST a REST webhook delivery the way WooCommerce does (signature over the raw body)."""

    def post(topic: str, payload: Any = None, *, raw: bytes | None = None, secret: str = SECRET):
        body = raw if raw is not None else compact(payload)
        resource, event = topic.split(".")
        return client.post(
            "/webhooks/woocommerce",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-WC-Webhook-Source": STORE_URL + "/",
                "X-WC-Webhook-Topic": topic,
                "X-WC-Webhook-Resource": resource,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": base64.b64encode(hmac_sha256(secret, body)).decode(),
                "X-WC-Webhook-ID": "142",
                "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex,
            },
        )

    return post


def plugin_headers(
    body: bytes, topic: str, *, secret: str = SECRET, timestamp: int | None = None, **extra: str
) -> dict[str, str]:
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = str(stamp).encode() + b"." + body
    return {
        "Content-Type": "application/json",
        "X-Storeflow-Source": STORE_URL,
        "X-Storeflow-Topic": topic,
        "X-Storeflow-Delivery-Id": extra.get("delivery_id", str(uuid.uuid4())),
        "X-Storeflow-Timestamp": str(stamp),
        "X-Storeflow-Signature": base64.b64encode(hmac_sha256(secret, signed)).decode(),
    }


@pytest.fixture()
def post_plugin_event(client: FlaskClient, woo_shop: Shop) -> Callable[..., Any]:
    """POST an event signed the way the Storeflow WordPress plugin signs it."""

    def post(topic: str, payload: Any, **options: Any):
        body = compact(payload)
        return client.post(
            "/webhooks/woocommerce", data=body, headers=plugin_headers(body, topic, **options)
        )

    return post


@pytest.fixture()
def fake_store() -> Iterator[Any]:
    import responses

    from tests.support.fake_store import FakeStore

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeStore(mock)
