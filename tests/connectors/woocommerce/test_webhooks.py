"""Deliveries at /webhooks/woocommerce: REST webhooks, the ping, and plugin events."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
import responses
import sqlalchemy as sa

from app.connectors.woocommerce.disconnect import revoke_store_access
from app.connectors.woocommerce.signing import read_token
from app.connectors.woocommerce.webhooks import WEBHOOK_TOPICS, ensure_webhooks
from app.emails.restore_links import restore_link
from app.models import (
    AuditLog,
    Cart,
    Customer,
    Order,
    Shop,
    ShopScope,
    StorefrontEvent,
    StorefrontVisitor,
    WebhookDelivery,
    db,
    utcnow,
)
from app.pipeline import queues
from tests.support.deliveries import delivery_statuses
from tests.support.woocommerce import SECRET, STORE_URL, load, plugin_headers


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery)))


def test_ping_without_headers_or_signature_gets_exactly_200(client, woo_shop):
    response = client.post(
        "/webhooks/woocommerce",
        data=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert deliveries() == []


def test_body_without_any_routing_headers_that_is_not_a_ping_is_400(client, woo_shop):
    response = client.post("/webhooks/woocommerce", data=b'{"id": 1}')
    assert response.status_code == 400
    assert deliveries() == []


def test_rest_webhook_with_bad_signature_is_401_and_stores_nothing(post_wc_webhook):
    response = post_wc_webhook("order.created", load("order.json"), secret="not-the-secret")
    assert response.status_code == 401
    assert deliveries() == []


def test_order_webhook_becomes_a_paid_order(post_wc_webhook, run_jobs):
    response = post_wc_webhook("order.created", load("order.json"))
    assert response.status_code == 200
    assert run_jobs("events") == 1
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.platform_order_id, order.email, order.total) == (
        "727",
        "john.doe@example.com",
        Decimal("29.35"),
    )
    assert order.paid is True
    assert [item["product_id"] for item in order.items] == ["93", "22"]


def test_signature_is_checked_on_the_bytes_as_sent_with_escaped_slashes(post_wc_webhook, run_jobs):
    # WooCommerce's JSON escapes "/" as "\/": re-encoding the JSON would change the bytes.
    raw = load("order.json")
    body = json.dumps(raw, separators=(",", ":")).replace("/", "\\/").encode()
    assert b"\\/" in body
    assert post_wc_webhook("order.created", raw=body).status_code == 200
    assert run_jobs("events") == 1


def test_plugin_cart_event_is_stored_and_its_restore_link_opens_one_the_plugin_can_verify(
    client, woo_shop, post_plugin_event, run_jobs
):
    response = post_plugin_event("cart.updated", load("cart_updated.json"))
    assert response.status_code == 200
    assert run_jobs("events") == 1
    cart = db.session.scalars(sa.select(Cart)).one()
    assert (cart.cart_key, cart.email, cart.total) == (
        "9f2c1e7a4b5d",
        "ana@example.pl",
        Decimal("59.98"),
    )
    # Mapping holds no secret: the plugin's signed link is made when the shopper clicks ours.
    assert cart.restore_url is None
    link = restore_link(woo_shop, cart, None, time.time() + 3600)
    redirect = client.get(link.removeprefix("http://storeflow.test"))
    assert redirect.status_code == 302
    target = redirect.headers["Location"]
    assert target.startswith(f"{STORE_URL}/?storeflow_restore=")
    # The shopper's identity token (sf_id) may follow, as on every email link.
    payload = read_token(SECRET, parse_qs(urlsplit(target).query)["storeflow_restore"][0])
    assert payload["k"] == "9f2c1e7a4b5d"
    assert payload["i"] == [[12, 0, 2], [30, 31, 1]]
    assert payload["d"] is None
    assert payload["x"] > time.time() + 86400


def test_plugin_event_with_bad_signature_is_401(post_plugin_event):
    response = post_plugin_event("cart.updated", load("cart_updated.json"), secret="wrong")
    assert response.status_code == 401
    assert deliveries() == []


def test_replayed_plugin_event_older_than_five_minutes_is_401(client, woo_shop):
    body = b'{"cart_key":"abc"}'
    old = plugin_headers(body, "cart.updated", timestamp=int(time.time()) - 301)
    assert client.post("/webhooks/woocommerce", data=body, headers=old).status_code == 401
    fresh = plugin_headers(body, "cart.updated", timestamp=int(time.time()) - 290)
    assert client.post("/webhooks/woocommerce", data=body, headers=fresh).status_code == 200
    assert len(deliveries()) == 1


def test_same_plugin_delivery_twice_is_stored_once(post_plugin_event):
    payload = load("cart_updated.json")
    first = post_plugin_event("cart.updated", payload, delivery_id="d-1")
    second = post_plugin_event("cart.updated", payload, delivery_id="d-1")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["message"] == "duplicate"
    assert len(deliveries()) == 1


def test_event_for_a_store_that_never_connected_is_401(client, woo_shop):
    body = b"{}"
    headers = plugin_headers(body, "cart.updated")
    headers["X-Storeflow-Source"] = "https://other.example"
    assert client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 401


def test_plugin_topic_we_do_not_handle_is_200_and_kept_as_ignored(post_plugin_event):
    response = post_plugin_event("customer.idle", {"customer_id": 3})
    assert response.status_code == 200
    (row,) = deliveries()
    assert row.status == "ignored"


def test_malformed_plugin_event_fails_with_a_clear_error_and_keeps_the_body(
    post_plugin_event, run_jobs, app
):
    payload = load("cart_updated.json")
    del payload["cart_key"]
    assert post_plugin_event("cart.updated", payload).status_code == 200
    app.config["DELIVERY_MAX_ATTEMPTS"], before = 1, app.config["DELIVERY_MAX_ATTEMPTS"]
    try:
        run_jobs("events")
    finally:
        app.config["DELIVERY_MAX_ATTEMPTS"] = before
    db.session.expire_all()
    (row,) = deliveries()
    assert row.status == "failed"
    assert "cart_key" in (row.last_error or "")
    assert b"9f2c1e7a4b5d" not in row.body and b"Shirt" in row.body


def test_store_disconnected_deletes_our_webhooks_then_forgets_the_keys(
    post_plugin_event, run_jobs, woo_shop, fake_store
):
    ensure_webhooks(woo_shop)
    fake_store.webhooks.append(
        {"id": 1, "topic": "order.created", "delivery_url": "https://x.example/hook"}
    )
    assert post_plugin_event("store.disconnected", {}).status_code == 200
    assert run_jobs("events") == 1
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.status == "uninstalled"
    # Anything the store still sends is refused, even while we hold its keys.
    assert post_plugin_event("cart.updated", load("cart_updated.json")).status_code == 401

    assert run_jobs("sync") == 1
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.credentials == {}
    # Ours are gone from the store; the merchant's own webhook stays.
    assert [hook["id"] for hook in fake_store.webhooks] == [1]
    audit = ShopScope(shop.id).first(AuditLog, AuditLog.action == "store_access_revoked")
    assert audit is not None and audit.details == {"webhooks_deleted": len(WEBHOOK_TOPICS)}


def test_disconnect_after_the_plugin_revoked_its_key_still_forgets_our_copy(
    post_plugin_event, run_jobs, woo_shop, fake_store
):
    fake_store.revoked_keys.add(("ck_test", "cs_test"))
    assert post_plugin_event("store.disconnected", {}).status_code == 200
    assert (run_jobs("events"), run_jobs("sync")) == (1, 1)
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert (shop.status, shop.credentials) == ("uninstalled", {})
    audit = ShopScope(shop.id).first(AuditLog, AuditLog.action == "store_access_revoked")
    assert audit is not None and audit.details == {"webhooks_deleted": 0, "store_answered": 401}


def test_a_store_connected_again_before_the_revoke_keeps_its_new_keys(
    post_plugin_event, run_jobs, woo_shop, fake_store
):
    assert post_plugin_event("store.disconnected", {}).status_code == 200
    assert run_jobs("events") == 1
    shop = db.session.get(Shop, woo_shop.id)
    shop.status, shop.credentials = "active", {"shared_secret": "new", "consumer_key": "ck_new"}
    db.session.commit()

    assert revoke_store_access(woo_shop.id) == {"status": "skipped"}
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).credentials["consumer_key"] == "ck_new"


def test_an_unreachable_store_is_retried_and_its_keys_are_forgotten_on_the_last_attempt(
    post_plugin_event, run_jobs, woo_shop
):
    assert post_plugin_event("store.disconnected", {}).status_code == 200
    assert run_jobs("events") == 1
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET, re.compile(r".*/wc/v3/webhooks.*"), body=requests.ConnectionError("down")
        )
        job = queues.queue("sync").fetch_job(f"woo-revoke-{woo_shop.id}")
        assert job is not None and job.retries_left == 3
        assert run_jobs("sync") == 0  # failed, to be retried
        db.session.expire_all()
        assert db.session.get(Shop, woo_shop.id).credentials  # still held for the retry
        # Outside a job (the last attempt) the store's silence does not keep the keys.
        assert revoke_store_access(woo_shop.id)["store_answered"] == "ConnectionError"
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).credentials == {}


def test_order_with_the_plugins_cart_key_marks_that_cart_converted(
    post_plugin_event, post_wc_webhook, run_jobs
):
    assert post_plugin_event("cart.updated", load("cart_updated.json")).status_code == 200
    order = load("order.json")
    order["meta_data"].append({"id": 13110, "key": "storeflow_cart_key", "value": "9f2c1e7a4b5d"})
    assert post_wc_webhook("order.created", order).status_code == 200
    assert run_jobs("events") == 1  # one drain job takes every stored delivery
    assert delivery_statuses() == ["processed"] * 2
    db.session.expire_all()
    assert db.session.scalars(sa.select(Cart)).one().status == "converted"


def test_an_order_with_the_consent_box_unticked_keeps_consent_given_before(
    post_plugin_event, post_wc_webhook, run_jobs
):
    cart = load("cart_updated.json")  # the shopper ticked the box on an earlier visit
    order = load("order.json")
    cart["email"] = order["billing"]["email"]
    # The order comes after the cart (an older one could not change consent anyway).
    order["date_created_gmt"] = order["date_modified_gmt"] = "2026-11-21T09:00:00"
    assert post_plugin_event("cart.updated", cart).status_code == 200
    order["meta_data"].append({"id": 13111, "key": "storeflow_consent", "value": "no"})
    assert post_wc_webhook("order.created", order).status_code == 200
    assert run_jobs("events") == 1  # one drain job takes every stored delivery
    assert delivery_statuses() == ["processed"] * 2
    db.session.expire_all()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert customer.email_consent == "granted"


BROWSER = "6f1c2a9e-4b7d-4c1e-9a55-0d3b8e2f7a10"


def _anonymous_views(shop: Shop, *product_ids: str) -> None:
    for product_id in product_ids:
        db.session.add(
            StorefrontEvent(
                shop_id=shop.id,
                visitor_id=BROWSER,
                kind="product_viewed",
                product_id=product_id,
                occurred_at=utcnow(),
            )
        )
    db.session.commit()


def test_checkout_email_from_a_browser_that_viewed_products_joins_those_views_to_the_customer(
    woo_shop, post_plugin_event, run_jobs
):
    _anonymous_views(woo_shop, "12", "30")
    body = {**load("cart_updated.json"), "visitor_id": BROWSER}
    assert post_plugin_event("checkout.contact", body).status_code == 200
    assert run_jobs("events") == 1
    customer = db.session.scalars(sa.select(Customer).filter_by(email="ana@example.pl")).one()
    views = db.session.scalars(sa.select(StorefrontEvent)).all()
    assert [(v.product_id, v.customer_id) for v in views] == [
        ("12", customer.id),
        ("30", customer.id),
    ]
    link = db.session.scalars(sa.select(StorefrontVisitor)).one()
    assert (link.shop_id, link.visitor_id, link.customer_id) == (woo_shop.id, BROWSER, customer.id)


def test_cart_event_without_a_visitor_cookie_leaves_anonymous_views_alone(
    woo_shop, post_plugin_event, run_jobs
):
    _anonymous_views(woo_shop, "12")
    assert post_plugin_event("cart.updated", load("cart_updated.json")).status_code == 200
    assert run_jobs("events") == 1
    assert db.session.scalars(sa.select(Cart)).one().email == "ana@example.pl"
    assert db.session.scalars(sa.select(StorefrontEvent)).one().customer_id is None
    assert db.session.scalars(sa.select(StorefrontVisitor)).all() == []


def test_a_malformed_visitor_id_is_dropped_and_the_cart_still_stored(
    woo_shop, post_plugin_event, run_jobs
):
    _anonymous_views(woo_shop, "12")
    body = {**load("cart_updated.json"), "visitor_id": "<script>"}
    assert post_plugin_event("cart.updated", body).status_code == 200
    assert run_jobs("events") == 1
    assert db.session.scalars(sa.select(Cart)).one().cart_key == "9f2c1e7a4b5d"
    assert db.session.scalars(sa.select(StorefrontVisitor)).all() == []
