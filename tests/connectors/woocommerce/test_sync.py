"""Catalog sync over paginated REST: bounded concurrency, batched upserts, resumable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.connectors.woocommerce import sync
from app.connectors.woocommerce.sync import sync_catalog
from app.models import Product, Shop, ShopScope, Variant, db


def product_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Product.id))) or 0


def test_a_few_thousand_products_sync_with_bounded_concurrency(woo_shop, fake_store):
    fake_store.add_products(2450)
    fake_store.page_delay = 0.02  # slow enough for the pool's requests to overlap
    result = sync_catalog(woo_shop.id)
    assert product_count() == 2450
    assert (result["status"], result["synced"], result["total_pages"]) == ("done", 2450, 25)
    assert 1 < fake_store.max_in_flight <= sync.SYNC_CONCURRENCY
    product = db.session.scalars(
        sa.select(Product).where(Product.platform_product_id == "2450")
    ).one()
    assert (product.title, str(product.price)) == ("Product 2450", "2450.00")
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).settings["sync"]["status"] == "done"


def test_interrupted_sync_resumes_without_refetching_done_pages(woo_shop, fake_store, monkeypatch):
    fake_store.add_products(500)
    stored = []
    real_store = sync._store_page

    def store_then_die(shop, progress, page, rows):
        if len(stored) == 3:
            raise RuntimeError("worker killed")
        real_store(shop, progress, page, rows)
        stored.append(page)

    monkeypatch.setattr(sync, "_store_page", store_then_die)
    with pytest.raises(RuntimeError, match="worker killed"):
        sync_catalog(woo_shop.id)
    db.session.rollback()
    assert product_count() == 300
    monkeypatch.setattr(sync, "_store_page", real_store)
    fetched: list[int] = []
    real_fetch = sync._fetch_pages
    monkeypatch.setattr(
        sync,
        "_fetch_pages",
        lambda client, pages: fetched.extend(pages) or real_fetch(client, pages),
    )
    result = sync_catalog(woo_shop.id)
    assert fetched == [4, 5]
    assert product_count() == 500 and result["synced"] == 500


def test_sync_never_overwrites_a_newer_product_from_a_webhook(woo_shop, fake_store):
    fake_store.add_products(1)
    sync_catalog(woo_shop.id)
    product = db.session.scalars(sa.select(Product)).one()
    product.title = "Renamed by a newer webhook"
    product.platform_updated_at = product.platform_updated_at.replace(year=2030)
    db.session.commit()
    sync_catalog(woo_shop.id, restart=True)
    db.session.expire_all()
    assert db.session.scalars(sa.select(Product)).one().title == "Renamed by a newer webhook"


def test_sync_skips_a_store_that_is_not_connected(woo_shop, fake_store):
    woo_shop.status = "uninstalled"
    db.session.commit()
    assert sync_catalog(woo_shop.id) == {"status": "skipped"}


def test_variable_products_are_synced_with_their_variations(woo_shop, fake_store):
    fake_store.add_products(2)
    shirt = fake_store.add_variable_product(["Green", "Black"])
    sync_catalog(woo_shop.id)
    product = db.session.scalars(
        sa.select(Product).where(Product.platform_product_id == str(shirt["id"]))
    ).one()
    variants = ShopScope(woo_shop.id).all(Variant, Variant.product_id == product.id)
    assert sorted((v.title, v.sku, str(v.price)) for v in variants) == [
        ("Black", "Bla", "10.00"),
        ("Green", "Gre", "10.00"),
    ]
    assert {v.image_url for v in variants} == {
        "https://example.com/wp-content/uploads/2016/10/T_3_front-12.jpg"
    }
    sync_catalog(woo_shop.id, restart=True)  # a second sync updates in place
    assert len(ShopScope(woo_shop.id).all(Variant)) == 2
