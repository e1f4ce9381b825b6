"""Hostile bodies (JSON nested 10,000 deep, integers over Python's 4,300-digit limit) get a
400 or 401, never a 500, on every endpoint that reads a body, signed or not; and nothing is
parsed before the signature holds (Shopify's verifier library parsed every body first)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.models import WebhookDelivery, db
from app.pipeline.storefront import ensure_collect_key
from tests.conftest import sign
from tests.support.shopify import load as shopify_fixture
from tests.support.woocommerce import STORE_URL, compact, plugin_headers

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"id": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001
HUGE_INT = b'{"id": ' + b"9" * 5_000 + b"}"
HOSTILE = pytest.mark.parametrize(
    "body", [DEEP, DEEP_OBJECT, HUGE_INT], ids=["nested-array", "nested-object", "huge-int"]
)


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery)))


def _shopify_headers(app, body: bytes, *, signed: bool, webhook_id: str = "w-1") -> dict:
    secret = app.config["SHOPIFY_API_SECRET"] if signed else "not-the-app-secret"
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": "storeflow-test.myshopify.com",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Hmac-Sha256": sign(secret, body),
    }


@HOSTILE
def test_unsigned_hostile_shopify_webhook_is_401_and_stores_nothing(
    app, client, shopify_shop, body
):
    headers = _shopify_headers(app, body, signed=False)
    headers["X-Shopify-Shop-Domain"] = shopify_shop.domain
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 401
    assert _deliveries() == []


@HOSTILE
def test_signed_hostile_shopify_webhook_is_400_and_stored_failed(app, client, shopify_shop, body):
    headers = _shopify_headers(app, body, signed=True)
    headers["X-Shopify-Shop-Domain"] = shopify_shop.domain
    response = client.post("/webhooks/shopify", data=body, headers=headers)
    assert response.status_code == 400
    (row,) = _deliveries()
    assert row.status == "failed"
    assert "malformed JSON" in (row.last_error or "")


def test_signed_ordinary_shopify_webhook_is_still_200(app, client, shopify_shop):
    body = json.dumps(shopify_fixture("orders_create")).encode()
    headers = _shopify_headers(app, body, signed=True)
    headers["X-Shopify-Shop-Domain"] = shopify_shop.domain
    assert client.post("/webhooks/shopify", data=body, headers=headers).status_code == 200
    assert [row.status for row in _deliveries()] == ["received"]


@HOSTILE
def test_hostile_body_sent_to_the_shopify_app_home_is_refused_not_500(client, body):
    """The app home is proven by an ID token; its body is never handed to the JSON parser."""
    response = client.open("/shopify", method="GET", data=body)
    assert response.status_code in (302, 401)
    status = client.open("/embedded/shopify/status", method="GET", data=body)
    assert status.status_code in (302, 401)


@HOSTILE
def test_hostile_demo_webhook_is_401_unsigned_and_400_signed(post_demo_webhook, body):
    assert post_demo_webhook("order/created", None, raw=body, secret="wrong").status_code == 401
    assert _deliveries() == []
    assert post_demo_webhook("order/created", None, raw=body).status_code == 400
    assert [row.status for row in _deliveries()] == ["failed"]


@HOSTILE
def test_hostile_woocommerce_plugin_event_is_401_unsigned_and_400_signed(client, woo_shop, body):
    forged = plugin_headers(body, "cart.updated", secret="f0" * 32)
    assert client.post("/webhooks/woocommerce", data=body, headers=forged).status_code == 401
    assert _deliveries() == []
    signed = plugin_headers(body, "cart.updated")
    assert client.post("/webhooks/woocommerce", data=body, headers=signed).status_code == 400
    assert [row.status for row in _deliveries()] == ["failed"]


def test_ordinary_woocommerce_plugin_event_is_still_200(client, woo_shop):
    body = compact({"cart_key": "c-1", "items": []})
    response = client.post(
        "/webhooks/woocommerce", data=body, headers=plugin_headers(body, "cart.updated")
    )
    assert response.status_code == 200


@pytest.mark.parametrize("body", [DEEP, HUGE_INT], ids=["nested-array", "huge-int"])
def test_hostile_collect_body_is_400(client, shop, body):
    """(The nested object is over the collect endpoint's size limit: a 413 before parsing.)"""
    ensure_collect_key(shop)
    db.session.commit()
    response = client.post(
        "/collect/demo",
        data=body,
        headers={"Content-Type": "text/plain", "Origin": "https://shop.example"},
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "body must be JSON"


@HOSTILE
@pytest.mark.parametrize("path", ["/connect/woocommerce/start", "/connect/woocommerce/callback"])
def test_hostile_woocommerce_connect_body_is_400(client, path, body):
    response = client.post(path, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "body must be a JSON object"


def test_ordinary_woocommerce_connect_start_still_reads_its_body(client):
    response = client.post("/connect/woocommerce/start", json={"store_url": STORE_URL})
    assert response.status_code == 400
    assert "missing fields" in response.get_json()["error"]
