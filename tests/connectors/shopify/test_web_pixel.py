"""The storefront web pixel is switched on at install: webPixelCreate with the collector's
address and the shop's public key; an existing pixel is updated, not duplicated."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa

from app.connectors.shopify.graphql import AdminClient, ShopifyApiError
from app.connectors.shopify.install import authorize_url, setup_shop
from app.connectors.shopify.pixel import ensure_web_pixel
from app.models import Shop, StorefrontEvent, db, utcnow
from tests.support.shopify import DOMAIN, TOKEN_URL, FakeShopify, id_token, load

TOKEN_ANSWER = {
    "access_token": "shpat_f3b5e8a1c2d4",
    "expires_in": 3600,
    "refresh_token": "shprt_9a8b7c6d5e4f",
    "refresh_token_expires_in": 7776000,
    "scope": (
        "read_products,read_orders,read_customers,write_discounts,read_fulfillments,"
        "write_merchant_managed_fulfillment_orders,write_pixels,read_customer_events"
    ),
}


def _pixel_calls(fake: FakeShopify) -> list[str]:
    return [op for op in fake.operations() if op.startswith("WebPixel")]


def test_install_creates_the_pixel_whose_settings_the_collector_accepts(
    app, client, shopify_http, run_jobs
):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, json=TOKEN_ANSWER)
    shopify_http.add(responses.GET, fake.bulk_url, body=b"")
    token = id_token(app)
    assert client.get(f"/shopify?embedded=1&id_token={token}&shop={DOMAIN}").status_code == 302

    run_jobs("sync")

    (create,) = [c for c in fake.calls if c["operation"] == "WebPixelCreate"]
    sent = json.loads(create["variables"]["webPixel"]["settings"])  # a JSON-encoded string
    shop = db.session.scalars(sa.select(Shop).where(Shop.domain == DOMAIN)).one()
    assert sent == {
        "endpoint": "http://storeflow.test/collect/shopify",
        "shop": DOMAIN,
        "collectKey": shop.storefront_tracking.collect_key,
    }
    assert shop.storefront_tracking.collect_key  # stored, so the collector knows it
    assert fake.web_pixel is not None and fake.web_pixel["id"] == "gid://shopify/WebPixel/1"

    # What the pixel will post with those settings is accepted.
    body = {
        "shop": sent["shop"],
        "key": sent["collectKey"],
        "visitor": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "events": [{"type": "product_viewed", "product_id": "1", "at": utcnow().isoformat()}],
    }
    answer = client.post(
        "/collect/shopify",
        data=json.dumps(body),
        headers={"Origin": f"https://{DOMAIN}", "Content-Type": "text/plain"},
    )
    assert answer.status_code == 204
    assert [e.product_id for e in db.session.scalars(sa.select(StorefrontEvent))] == ["1"]


def test_a_pixel_already_there_is_updated_instead_of_duplicated(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    old = {"endpoint": "https://old.example/collect/shopify", "shop": DOMAIN, "collectKey": "k"}
    fake.web_pixel = {"id": "gid://shopify/WebPixel/1", "settings": json.dumps(old)}

    assert ensure_web_pixel(shopify_shop, AdminClient(shopify_shop)) == "updated"

    assert _pixel_calls(fake) == ["WebPixelCreate", "WebPixel", "WebPixelUpdate"]
    update = fake.calls[-1]["variables"]
    assert update["id"] == "gid://shopify/WebPixel/1"
    now = json.loads(fake.web_pixel["settings"])
    assert now["endpoint"] == "http://storeflow.test/collect/shopify"
    assert now["collectKey"] == shopify_shop.storefront_tracking.collect_key


def test_a_pixel_with_the_right_settings_is_left_alone(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    assert ensure_web_pixel(shopify_shop, AdminClient(shopify_shop)) == "created"
    db.session.commit()
    assert ensure_web_pixel(shopify_shop, AdminClient(shopify_shop)) == "unchanged"
    assert _pixel_calls(fake) == ["WebPixelCreate", "WebPixelCreate", "WebPixel"]


def _refused(code: str) -> dict:
    answer = load("web_pixel_create_taken")
    error = {"code": code, "field": ["webPixel", "settings"], "message": "Settings are invalid."}
    answer["data"]["webPixelCreate"]["userErrors"] = [error]
    return answer


def test_any_other_refusal_is_an_error_naming_the_shop(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    fake.queued.append((200, _refused("INVALID_SETTINGS")))
    with pytest.raises(ShopifyApiError) as raised:
        ensure_web_pixel(shopify_shop, AdminClient(shopify_shop))
    assert DOMAIN in str(raised.value) and "Settings are invalid." in str(raised.value)
    assert fake.web_pixel is None


def test_setup_finishes_webhooks_and_sync_when_the_pixel_is_refused(
    shopify_shop, shopify_http, caplog, monkeypatch
):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.GET, fake.bulk_url, body=b"")
    monkeypatch.setattr(fake, "_web_pixel", lambda operation, variables: _refused("NO_EXTENSION"))
    with caplog.at_level(logging.WARNING):
        assert setup_shop(shopify_shop.id) == "done"
    assert "CreateSubscription" in fake.operations() and "RunBulk" in fake.operations()
    assert "shopify web pixel not activated" in caplog.text


def test_install_asks_for_the_pixel_scopes(app):
    with app.test_request_context():
        url = authorize_url(DOMAIN, "state-1")
    scopes = parse_qs(urlsplit(url).query)["scope"][0].split(",")
    assert {"write_pixels", "read_customer_events"} <= set(scopes)
