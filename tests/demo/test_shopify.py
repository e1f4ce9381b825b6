"""The Shopify demo shop of ``make run`` takes signed webhooks into the database."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.demo import seed as demo
from app.demo.shopify import DEMO_DOMAIN, signed_headers
from app.models import Cart, Order, Product, Shop, db
from tests.support.shopify import load


def test_demo_seed_adds_a_shopify_shop_whose_checkouts_and_orders_reach_the_database(
    app, client, run_jobs
):
    demo.seed()
    demo.seed()  # every `make run` seeds again
    shop = db.session.scalars(sa.select(Shop).where(Shop.platform == "shopify")).one()
    assert (shop.domain, shop.status) == (DEMO_DOMAIN, "active")
    assert (
        db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.shop_id == shop.id))
        == 3
    )

    secret = app.config["SHOPIFY_API_SECRET"]
    for topic, name in (
        ("checkouts/create", "checkouts_create"),
        ("orders/create", "orders_create"),
    ):
        body = json.dumps(load(name)).encode()
        response = client.post(
            "/webhooks/shopify", data=body, headers=signed_headers(topic, body, secret)
        )
        assert response.status_code == 200, response.get_json()
    run_jobs("events")

    assert db.session.scalars(sa.select(Cart.cart_key)).all() == ["123123123"]
    assert db.session.scalars(sa.select(Order.platform_order_id)).all() == ["820982911946154508"]
