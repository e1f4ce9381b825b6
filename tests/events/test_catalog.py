"""The catalog's one writer: every path that reports a product stores the same row.

Shopify reports a product by ``products/update`` webhook and by the bulk export; WooCommerce by
``product.updated`` webhook and by the REST sync. Each test sends the same product through the
real entry points (signed webhook + events job, bulk sync job, REST sync) in either order.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import responses
import sqlalchemy as sa

from app.connectors.shopify import catalog
from app.connectors.shopify.graphql import AdminClient
from app.connectors.woocommerce.sync import sync_catalog
from app.events import types as ev
from app.events.catalog import upsert_products
from app.models import Product, ShopScope, Variant, db
from app.models.shop_settings import StoreConnection
from tests.support.shopify import FakeShopify
from tests.support.shopify import load as shopify_payload
from tests.support.woocommerce import load as woo_payload

STOREFRONT = "https://shirts.example.com"  # the Shopify shop's primary (custom) domain


def stored_product() -> tuple[Any, ...]:
    """The facts shoppers see, of the one product row there must be."""
    db.session.expire_all()
    product = db.session.scalars(sa.select(Product)).one()
    return (product.title, product.in_stock, product.url, product.price, product.compare_at_price)


# --- Shopify: products/update webhook and bulk export ----------------------------------------


def oversold_shirt(**changes: Any) -> dict[str, Any]:
    """The documented products/update sample, sold out but selling on (policy "continue") in
    one size and sold out for good in the other, which is also cheaper."""
    payload = shopify_payload("products_create", **changes)
    small, medium = payload["variants"]
    small.update(inventory_quantity=0, inventory_policy="continue")
    medium.update(inventory_quantity=0, inventory_policy="deny", price="17.50")
    medium["compare_at_price"] = None
    return payload


def _utc(value: str) -> str:
    # The Admin GraphQL API writes times in UTC where webhooks keep the shop's offset.
    instant = datetime.fromisoformat(value).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def bulk_lines(payload: dict[str, Any]) -> list[str]:
    """The same product as the bulk export writes it: GraphQL names, a line per variant."""
    gid = payload["admin_graphql_api_id"]
    product = {
        "id": gid,
        "title": payload["title"],
        "handle": payload["handle"],
        "productType": payload["product_type"],
        "status": payload["status"].upper(),
        "updatedAt": _utc(payload["updated_at"]),
        "onlineStoreUrl": f"{STOREFRONT}/products/{payload['handle']}",
        "featuredMedia": None,
    }
    variants = [
        {
            "id": row["admin_graphql_api_id"],
            "title": row["title"],
            "sku": row["sku"],
            "price": row["price"],
            "compareAtPrice": row["compare_at_price"],
            "inventoryQuantity": row["inventory_quantity"],
            "inventoryPolicy": row["inventory_policy"].upper(),
            "__parentId": gid,
        }
        for row in payload["variants"]
    ]
    return [json.dumps(line) for line in (product, *variants)]


class ShopifyPaths:
    def __init__(self, shop, http, post, run_jobs) -> None:  # type: ignore[no-untyped-def]
        self.shop, self.post, self.run_jobs = shop, post, run_jobs
        self.fake = FakeShopify(http)
        self.fake.primary_domain_url = STOREFRONT
        self.export: list[str] = []
        http.add_callback(responses.GET, self.fake.bulk_url, callback=self._download)

    def _download(self, request: Any) -> tuple[int, dict[str, str], str]:
        return 200, {}, "".join(line + "\n" for line in self.export)

    def webhook(self, payload: dict[str, Any]) -> None:
        response = self.post("products/update", payload, webhook_id=str(uuid.uuid4()))
        assert response.status_code == 200
        assert self.run_jobs("events") == 1

    def bulk(self, payload: dict[str, Any]) -> None:
        self.export = bulk_lines(payload)
        self.fake.bulk_object_count = len(self.export)
        catalog.start_full_sync(self.shop, AdminClient(self.shop))
        db.session.commit()
        assert self.run_jobs("sync") == 1
        assert self.shop.settings["sync"]["state"] == "done"


@pytest.fixture()
def shopify(shopify_shop, shopify_http, post_shopify_webhook, run_jobs) -> ShopifyPaths:
    # An earlier catalog sync read the shop's primary domain (see the storefront test below).
    shopify_shop.store_connection = StoreConnection(store_url=STOREFRONT)
    db.session.commit()
    return ShopifyPaths(shopify_shop, shopify_http, post_shopify_webhook, run_jobs)


@pytest.mark.parametrize("order", [("webhook", "bulk"), ("bulk", "webhook")])
def test_shopify_product_is_one_row_with_the_same_facts_whichever_path_ran_last(shopify, order):
    expected = (
        "Example T-Shirt",
        True,  # 0 in stock, but one size keeps selling (overselling allowed)
        f"{STOREFRONT}/products/example-t-shirt",
        Decimal("17.50"),
        None,  # the cheapest size is not on sale
    )
    first, last = order
    getattr(shopify, first)(oversold_shirt())
    assert stored_product() == expected
    getattr(shopify, last)(oversold_shirt())
    assert stored_product() == expected
    assert db.session.scalar(sa.select(sa.func.count(Variant.id))) == 2


def test_shopify_webhook_after_a_sync_links_the_shops_own_domain(
    shopify_shop, shopify_http, post_shopify_webhook, run_jobs
):
    paths = ShopifyPaths(shopify_shop, shopify_http, post_shopify_webhook, run_jobs)
    paths.bulk(oversold_shirt(handle="renamed-soon"))
    assert shopify_shop.store_connection.store_url == STOREFRONT

    paths.webhook(oversold_shirt(updated_at="2022-01-02T10:00:00-05:00"))

    assert stored_product()[2] == f"{STOREFRONT}/products/example-t-shirt"


# --- WooCommerce: product.updated webhook and REST sync --------------------------------------


def variable_shirt(modified_gmt: str = "2017-03-23T20:35:48") -> tuple[dict, list[dict]]:
    """A variable product as WooCommerce sends it: the product rolls its variations up (lowest
    price; "onbackorder" as one colour is sold out but takes backorders, the other is gone)."""
    product = {**woo_payload("product.json"), "type": "variable", "variations": [733, 734]}
    product.update(price="10.00", regular_price="", on_sale=True, stock_status="onbackorder")
    product["date_modified_gmt"] = modified_gmt
    green = {**woo_payload("variation.json"), "price": "10.00", "regular_price": "14.00"}
    green.update(on_sale=True, manage_stock=True, stock_quantity=0, stock_status="onbackorder")
    green.update(backorders="notify", backorders_allowed=True)
    black = {**copy.deepcopy(green), "id": 734, "price": "12.00", "regular_price": "12.00"}
    black["attributes"] = [{"id": 6, "name": "Color", "option": "Black"}]
    black.update(on_sale=False, manage_stock=False, stock_quantity=None)
    black.update(stock_status="outofstock", backorders="no", backorders_allowed=False)
    return product, [green, black]


class WooPaths:
    def __init__(self, shop, store, post, run_jobs) -> None:  # type: ignore[no-untyped-def]
        self.shop, self.store, self.post, self.run_jobs = shop, store, post, run_jobs

    def webhook(self, product: dict[str, Any], variations: list[dict[str, Any]]) -> None:
        assert self.post("product.updated", product).status_code == 200
        assert self.run_jobs("events") == 1

    def sync(self, product: dict[str, Any], variations: list[dict[str, Any]]) -> None:
        self.store.products = [product]
        self.store.variations = {product["id"]: variations}
        assert sync_catalog(self.shop.id, restart=True)["synced"] == 1


@pytest.fixture()
def woocommerce(woo_shop, fake_store, post_wc_webhook, run_jobs) -> WooPaths:
    return WooPaths(woo_shop, fake_store, post_wc_webhook, run_jobs)


@pytest.mark.parametrize("order", [("webhook", "sync"), ("sync", "webhook")])
def test_woocommerce_product_is_one_row_with_the_same_facts_whichever_path_ran_last(
    woocommerce, order
):
    product, variations = variable_shirt()
    expected = (
        "New Premium Quality",
        True,  # backorders are taken
        "https://example.com/product/new-premium-quality/",
        Decimal("10.00"),
        None,
    )
    first, last = order
    getattr(woocommerce, first)(product, variations)
    assert stored_product() == expected
    getattr(woocommerce, last)(product, variations)
    assert stored_product() == expected
    # Only the sync lists variations; the webhook leaves them as the sync stored them.
    variants = ShopScope(woocommerce.shop.id).all(Variant)
    assert sorted((v.title, v.stock) for v in variants) == [("Black", 0), ("Green", 0)]


# --- never back in time, on any path ---------------------------------------------------------

SHOPIFY_NEWER = "2022-01-05T09:00:00-05:00"


@pytest.mark.parametrize(("newer_path", "older_path"), [("webhook", "bulk"), ("bulk", "webhook")])
def test_older_shopify_update_never_overwrites_a_newer_one(shopify, newer_path, older_path):
    getattr(shopify, newer_path)(oversold_shirt(title="Renamed", updated_at=SHOPIFY_NEWER))
    getattr(shopify, older_path)(oversold_shirt())
    assert stored_product()[0] == "Renamed"


@pytest.mark.parametrize(("newer_path", "older_path"), [("webhook", "sync"), ("sync", "webhook")])
def test_older_woocommerce_update_never_overwrites_a_newer_one(woocommerce, newer_path, older_path):
    newer, variations = variable_shirt(modified_gmt="2017-04-01T08:00:00")
    getattr(woocommerce, newer_path)({**newer, "name": "Renamed"}, variations)
    getattr(woocommerce, older_path)(*variable_shirt())
    assert stored_product()[0] == "Renamed"


# --- the upsert itself -----------------------------------------------------------------------

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def shirt(shop_id: int, pid: str, at: datetime, title: str = "Shirt") -> ev.ProductChanged:
    return ev.ProductChanged(
        shop_id=shop_id,
        product_id=pid,
        title=title,
        variants=(ev.ProductVariant(id=f"{pid}-m", price=Decimal("20.00"), stock=1),),
        updated_at=at,
    )


def test_a_batch_returns_the_ids_of_the_products_it_wrote(make_shop):
    shop = make_shop()
    kept = upsert_products(shop.id, [shirt(shop.id, "2", T0 + timedelta(days=1), "Newer")])
    batch = [
        shirt(shop.id, "1", T0),
        shirt(shop.id, "2", T0),  # older than what we hold: not written
        shirt(shop.id, "3", T0),
    ]

    written = upsert_products(shop.id, batch)

    rows = dict(db.session.execute(sa.select(Product.platform_product_id, Product.id)).all())
    assert written == {"1": rows["1"], "3": rows["3"]}
    assert kept == {"2": rows["2"]}
    assert db.session.get(Product, rows["2"]).title == "Newer"
    assert db.session.scalar(sa.select(sa.func.count(Variant.id))) == 3


def test_the_newest_of_two_reports_in_one_batch_is_stored(make_shop):
    shop = make_shop()
    batch = [shirt(shop.id, "1", T0 + timedelta(hours=1), "Later"), shirt(shop.id, "1", T0)]
    assert list(upsert_products(shop.id, batch)) == ["1"]
    assert db.session.scalars(sa.select(Product.title)).one() == "Later"


def test_a_batch_of_another_shops_product_is_refused(make_shop):
    shop, other = make_shop(n=1), make_shop(n=2)
    with pytest.raises(ValueError, match="another shop"):
        upsert_products(shop.id, [shirt(other.id, "1", T0)])
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_a_variant_weight_the_payload_does_not_report_is_kept(make_shop):
    shop = make_shop()
    upsert_products(shop.id, [shirt(shop.id, "1", T0)])
    variant = db.session.scalars(sa.select(Variant)).one()
    variant.weight_grams = 350
    db.session.commit()

    upsert_products(shop.id, [shirt(shop.id, "1", T0 + timedelta(days=1))])

    db.session.expire_all()
    assert db.session.scalars(sa.select(Variant.weight_grams)).one() == 350
