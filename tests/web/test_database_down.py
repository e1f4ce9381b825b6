"""Database down: every route answers 503 with ``Retry-After``, never Flask's HTML 500 page.

The app under test points at a TCP port nothing listens on, as PostgreSQL being away looks to
the web process; Shopify and WooCommerce retry a 503 delivery, so nothing they send is lost.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.config import config_for_tests
from app.models import WebhookDelivery, db
from tests.conftest import sign
from tests.support.database import CuttableProxy, drop_pooled_connections


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def down_app(backends) -> Flask:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/storeflow_gone"
    return create_app(config_for_tests(url, backends.redis_url))


def _signed_demo_headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Demo-Shop": "demo-shop.example",
        "X-Demo-Topic": "order/created",
        "X-Demo-Delivery-Id": "d-down-1",
        "X-Demo-Hmac-Sha256": sign("s3cret", body),
    }


ROUTES = [
    ("POST", "/webhooks/demo", "signed"),
    ("POST", "/collect/demo", json.dumps({"shop": "demo-shop.example", "key": "k"})),
    ("POST", "/webhooks/shopify", "shopify"),
    ("GET", "/embedded/dev-login/1", None),
    ("POST", "/admin/login", "email=ana%40storeflow.local&password=wrong"),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_database_down_answers_503_with_retry_after_on_every_route(down_app, method, path, body):
    client = down_app.test_client()
    data = body.encode() if body else None
    headers = {"Content-Type": "application/json"}
    if body == "signed":
        data = json.dumps({"id": 1}).encode()
        headers = _signed_demo_headers(data)
    elif body == "shopify":
        data = json.dumps({"id": 1}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "down-shop.myshopify.com",
            "X-Shopify-Webhook-Id": "w-down-1",
            "X-Shopify-Hmac-Sha256": sign(down_app.config["SHOPIFY_API_SECRET"], data),
        }
    elif body and body.startswith("email="):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.open(path, method=method, data=data, headers=headers)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    assert response.is_json
    assert response.get_json() == {
        "status": 503,
        "message": "database unavailable; try again later",
    }
    assert b"<html" not in response.get_data().lower()


def test_database_down_answers_a_browser_in_plain_text(down_app):
    response = down_app.test_client().post(
        "/admin/login",
        data={"email": "ana@storeflow.local", "password": "wrong"},
        headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"},
    )
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert "database unavailable" in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


def test_same_routes_answer_normally_with_the_database_up(client, shop, post_demo_webhook):
    """The positive path: the handler changes nothing while PostgreSQL answers."""
    assert post_demo_webhook("cart/updated", {"cart_key": "c-1"}).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_pooled_connection_the_server_dropped_is_replaced_and_the_delivery_stored(
    post_demo_webhook, backends
):
    """No ping before each checkout (a round trip per request): a connection the server
    closed since (a restart, an idle timeout) fails its statement, and the delivery's insert
    is sent once more on a new connection instead of answering 503."""
    assert post_demo_webhook("order/created", {"id": 1}, delivery_id="d-1").status_code == 200
    drop_pooled_connections(backends.database_url)

    response = post_demo_webhook("order/created", {"id": 2}, delivery_id="d-2")

    assert response.status_code == 200, response.get_json()
    ids = db.session.scalars(sa.select(WebhookDelivery.delivery_id).order_by("id")).all()
    assert ids == ["d-1", "d-2"]


def test_a_webhook_for_a_remembered_shop_answers_503_when_no_connection_can_be_made(backends, shop):
    """The shop is remembered, so the first statement is the delivery's insert, on a
    connection borrowed raw from the pool: a database that refuses new connections is a 503
    with ``Retry-After`` there too, not a 500, and the same app stores again once it is back."""
    if not backends.is_postgres:
        pytest.skip("the lean store path is PostgreSQL's")
    address = sa.engine.make_url(backends.database_url)
    proxy = CuttableProxy((address.host or "127.0.0.1", address.port or 5432))
    try:
        cut_app = create_app(config_for_tests(proxy.url(backends.database_url), backends.redis_url))
        client = cut_app.test_client()

        def post(delivery_id: str) -> Any:
            body = json.dumps({"id": delivery_id}).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Demo-Shop": shop.domain,
                "X-Demo-Topic": "order/created",
                "X-Demo-Delivery-Id": delivery_id,
                "X-Demo-Hmac-Sha256": sign("s3cret", body),
            }
            return client.post("/webhooks/demo", data=body, headers=headers)

        assert post("d-before").status_code == 200  # the shop is now remembered
        proxy.cut()
        with cut_app.app_context():
            db.engine.pool.dispose()  # no idle connection left: the next one must be made
        during = post("d-during")
        proxy.restore()
        after = post("d-after")
    finally:
        proxy.close()

    assert during.status_code == 503, during.get_data(as_text=True)[:300]
    assert int(during.headers["Retry-After"]) > 0
    assert after.status_code == 200
    ids = db.session.scalars(sa.select(WebhookDelivery.delivery_id).order_by("id")).all()
    assert ids == ["d-before", "d-after"]
