"""The WooCommerce demo store that `make run` seeds."""

from __future__ import annotations

import time

import sqlalchemy as sa

from app.connectors.woocommerce import PLATFORM as WOOCOMMERCE
from app.connectors.woocommerce.reconcile import reconcile_store
from app.connectors.woocommerce.sync import sync_catalog
from app.demo import seed as demo
from app.demo.woocommerce import DEMO_SHARED_SECRET, DEMO_STORE_URL
from app.models import Cart, Product, Shop, ShopScope, db
from tests.support.woocommerce import compact, load, plugin_headers


def test_demo_seed_adds_a_woocommerce_store_with_a_catalog_and_is_repeatable(app):
    demo.seed()
    demo.seed()
    shop = db.session.scalars(sa.select(Shop).where(Shop.platform == "woocommerce")).one()
    assert shop.settings["store_url"] == DEMO_STORE_URL
    titles = {p.title for p in ShopScope(shop.id).all(Product)}
    assert "Bawełniana koszula" in titles and len(titles) == 4


def test_demo_store_accepts_signed_plugin_events_but_is_never_called_over_rest(
    app, client, run_jobs
):
    demo.seed()
    shop = db.session.scalars(sa.select(Shop).where(Shop.platform == "woocommerce")).one()
    body = compact(load("cart_updated.json"))
    headers = plugin_headers(body, "cart.updated", secret=DEMO_SHARED_SECRET)
    headers["X-Storeflow-Source"] = DEMO_STORE_URL
    assert client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 200
    assert run_jobs("events") == 1
    cart = ShopScope(shop.id).first(Cart)
    assert cart is not None
    target = WOOCOMMERCE.restore_target(shop, cart, None, int(time.time()) + 3600)
    assert target is not None and target.startswith(f"{DEMO_STORE_URL}/?storeflow_restore=")
    # No REST keys: the jobs skip it instead of failing every 15 minutes.
    assert sync_catalog(shop.id) == {"status": "skipped"}
    assert reconcile_store(shop.id) == {"status": "skipped"}
