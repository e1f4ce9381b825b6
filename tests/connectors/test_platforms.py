"""One Platform interface: every registered platform implements all of it, mapping is pure,
and the demo platform is registered only where the demo connector is enabled."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa

from app import connectors, create_app
from app.config import config_for_tests
from app.connectors.base import Platform, ShopRef
from app.events import types as ev
from app.models import Cart, ShopScope, WebhookDelivery, db
from app.pipeline.ingest import process_delivery
from tests.support.woocommerce import STORE_URL, compact, load

OPERATIONS = (
    "read_envelope",
    "verify",
    "normalize",
    "connect",
    "ensure_webhooks",
    "sync_catalog",
    "reconcile",
    "create_discount",
    "push_tracking",
    "orders_since",
    "restore_target",
)


def _cart(shop, restore_url=None) -> Cart:
    cart = ShopScope(shop.id).add(
        Cart(
            cart_key="c-1",
            items=[{"product_id": "12", "variant_id": None, "quantity": 2, "title": "Shirt"}],
            total=40,
            currency=shop.currency,
            restore_url=restore_url,
        )
    )
    db.session.commit()
    return cart


def test_every_registered_platform_implements_every_operation(app):
    platforms = connectors.registry()
    assert set(platforms) == {"shopify", "woocommerce", "demo"}
    for name, platform in platforms.items():
        assert isinstance(platform, Platform), name
        assert platform.name == name
        assert platform.topics, name
        for operation in OPERATIONS:
            assert callable(getattr(platform, operation)), f"{name}.{operation}"


def test_each_platform_names_where_a_restore_link_sends_the_shopper(make_shop, woo_shop):
    expires = int(time.time()) + 3600
    shopify_shop = make_shop(platform="shopify", domain="boutique.myshopify.com", n=2)
    checkout = "https://boutique.myshopify.com/1/checkouts/abc/recover?key=k1"
    shopify_target = connectors.get("shopify").restore_target(
        shopify_shop, _cart(shopify_shop, checkout), "BACK-1", expires
    )
    assert shopify_target.startswith("https://boutique.myshopify.com/discount/BACK-1?redirect=")
    woo_target = connectors.get("woocommerce").restore_target(
        woo_shop, _cart(woo_shop), "BACK-2", expires
    )
    assert woo_target.startswith(f"{STORE_URL}/?storeflow_restore=")
    demo_shop = make_shop(n=3)
    assert connectors.get("demo").restore_target(demo_shop, _cart(demo_shop), None, expires) is None


def test_demo_platform_has_nothing_to_set_up_and_says_so(shop):
    demo = connectors.get("demo")
    assert demo.ensure_webhooks(shop) == 0
    assert demo.sync_catalog(shop) is None
    assert demo.reconcile(shop) is None
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert demo.orders_since(shop, email="a@example.com", cart_key=None, since=since) is None


def test_a_payload_without_currency_is_in_the_shop_currency():
    shop = ShopRef(1, "shop.example", "RON")
    payload = {key: value for key, value in load("cart_updated.json").items() if key != "currency"}
    (cart,) = connectors.get("woocommerce").normalize(shop, "cart.updated", payload, {})
    assert cart.currency == "RON"
    (named,) = connectors.get("woocommerce").normalize(
        shop, "cart.updated", load("cart_updated.json"), {}
    )
    assert named.currency == "PLN"


def test_woocommerce_plugin_event_normalizes_without_the_store_secret(woo_shop, run_jobs):
    # Credentials that no key can decrypt: normalizing must not need them.
    woo_shop.credentials_encrypted = b"not a fernet token"
    db.session.commit()
    ref = ShopRef.of(woo_shop)
    events = connectors.get("woocommerce").normalize(
        ref, "cart.updated", load("cart_updated.json"), {}
    )
    assert [type(event) for event in events] == [ev.CartUpdated]
    assert events[0].restore_url is None

    row = WebhookDelivery(
        shop_id=woo_shop.id,
        platform="woocommerce",
        delivery_id="d-secretless",
        topic="cart.updated",
        headers={},
        body=compact(load("cart_updated.json")),
        status="received",
    )
    db.session.add(row)
    db.session.commit()
    assert process_delivery(row.id) == "processed"
    cart = db.session.scalars(sa.select(Cart).where(Cart.shop_id == woo_shop.id)).one()
    assert (cart.cart_key, cart.email) == ("9f2c1e7a4b5d", "ana@example.pl")


def test_production_app_registers_no_demo_platform(backends):
    config = config_for_tests(
        backends.database_url, backends.redis_url, ENABLE_DEMO_CONNECTOR=False
    )
    production = create_app(config)
    with production.app_context():
        assert set(connectors.registry()) == {"shopify", "woocommerce"}
        assert connectors.get("demo") is None
    response = production.test_client().post("/webhooks/demo", data=b"{}")
    assert response.status_code == 404
