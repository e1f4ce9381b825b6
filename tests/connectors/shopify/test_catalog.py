"""Bulk catalog sync: the JSONL result is streamed, upserted in batches, resumable."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
import responses
import sqlalchemy as sa

from app.connectors.shopify import catalog
from app.connectors.shopify.graphql import AdminClient, ShopifyApiError
from app.events import types as ev
from app.events.catalog import mark_missing_deleted
from app.models import Product, Shop, Variant, db, utcnow
from tests.support.shopify import FakeShopify

# Four batches: enough to see the file streamed, batch after batch.
PRODUCTS = 2 * catalog.BATCH_LINES


def jsonl_lines(count: int) -> Iterator[bytes]:
    """A bulk result as Shopify writes it: each product, then its variants with __parentId."""
    for n in range(1, count + 1):
        gid = f"gid://shopify/Product/{1000 + n}"
        yield (
            json.dumps(
                {
                    "id": gid,
                    "title": f"Linen shirt {n}",
                    "handle": f"linen-shirt-{n}",
                    "productType": "Shirts",
                    "status": "ACTIVE",
                    "updatedAt": "2026-11-20T10:00:00Z",
                    "onlineStoreUrl": None,
                    "featuredMedia": {
                        "preview": {"image": {"url": f"https://cdn.shopify.com/{n}.jpg"}}
                    },
                }
            ).encode()
            + b"\n"
        )
        yield (
            json.dumps(
                {
                    "id": f"gid://shopify/ProductVariant/{5000 + n}",
                    "title": "M",
                    "sku": f"LS-{n}-M",
                    "price": "189.00",
                    "compareAtPrice": None,
                    "inventoryQuantity": n % 3,
                    "__parentId": gid,
                }
            ).encode()
            + b"\n"
        )


class LazyFile(io.RawIOBase):
    """A download body produced on demand, counting how many lines were handed out."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._pending = b""
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while len(self._pending) < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
            self.produced += 1
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def test_bulk_result_of_thousands_of_products_is_streamed_in_batches(
    shopify_shop, shopify_http, run_jobs, monkeypatch
):
    fake = FakeShopify(shopify_http)
    fake.bulk_object_count = PRODUCTS * 2
    body = LazyFile(jsonl_lines(PRODUCTS))
    shopify_http.add(responses.GET, fake.bulk_url, body=io.BufferedReader(body, 8192))
    produced_at_flush: list[int] = []
    real_upsert = catalog.upsert_products

    def watching_upsert(*args, **kwargs):  # type: ignore[no-untyped-def]
        produced_at_flush.append(body.produced)
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(catalog, "upsert_products", watching_upsert)

    catalog.start_full_sync(shopify_shop, AdminClient(shopify_shop))
    db.session.commit()
    run_jobs("sync")

    # The first batch was stored while most of the file had not even been produced yet.
    assert produced_at_flush[0] < PRODUCTS * 2 / 3
    assert len(produced_at_flush) >= PRODUCTS * 2 // catalog.BATCH_LINES
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == PRODUCTS
    assert db.session.scalar(sa.select(sa.func.count(Variant.id))) == PRODUCTS
    sync = db.session.get(Shop, shopify_shop.id).settings["sync"]
    assert (sync["state"], sync["rows_done"], sync["rows_total"]) == (
        "done",
        PRODUCTS * 2,
        PRODUCTS * 2,
    )
    shirt = db.session.scalars(
        sa.select(Product).where(Product.platform_product_id == "1003")
    ).one()
    assert (shirt.title, str(shirt.price), shirt.in_stock) == ("Linen shirt 3", "189.00", False)
    assert shirt.url == f"https://{shopify_shop.domain}/products/linen-shirt-3"


def test_interrupted_import_resumes_after_the_last_stored_batch(shopify_shop):
    lines = [line.decode() for line in jsonl_lines(10)]
    shopify_shop.settings = {"sync": {"state": "importing", "cursor": 8, "rows_done": 8}}
    db.session.commit()

    catalog.import_lines(shopify_shop, lines)

    stored = db.session.scalars(sa.select(Product.platform_product_id)).all()
    assert sorted(stored) == [str(1000 + n) for n in range(5, 11)]
    assert shopify_shop.settings["sync"]["cursor"] == 20


def test_export_older_than_a_webhook_update_does_not_overwrite_it(shopify_shop):
    catalog.import_lines(shopify_shop, [line.decode() for line in jsonl_lines(1)])
    product = db.session.scalars(sa.select(Product)).one()
    product.title = "Renamed by a newer webhook"
    product.platform_updated_at = product.platform_updated_at.replace(year=2027)
    variant = db.session.scalars(sa.select(Variant)).first()
    variant.price, variant.stock = Decimal("1.23"), 77
    db.session.commit()
    shopify_shop.settings = {}
    catalog.import_lines(shopify_shop, [line.decode() for line in jsonl_lines(1)])
    db.session.expire_all()
    assert db.session.scalars(sa.select(Product)).one().title == "Renamed by a newer webhook"
    # The product's variants are as newer as the product: the export leaves them alone too.
    refreshed = db.session.get(Variant, variant.id)
    assert (refreshed.price, refreshed.stock) == (Decimal("1.23"), 77)


def _running_sync(shop: Shop) -> None:
    shop.settings = {"sync": {"state": "running", "operation_id": "gid://shopify/BulkOperation/1"}}
    db.session.commit()


def test_unfinished_bulk_operation_is_polled_again_later(shopify_shop, shopify_http, redis_conn):
    from rq import Queue

    fake = FakeShopify(shopify_http)
    node = {
        "id": "gid://shopify/BulkOperation/1",
        "status": "RUNNING",
        "errorCode": None,
        "objectCount": "120",
        "url": None,
        "partialDataUrl": None,
    }
    fake.queued.append((200, {"data": {"node": node}}))
    _running_sync(shopify_shop)

    assert catalog.poll_catalog_sync(shopify_shop.id) == "waiting"
    assert Queue("sync", connection=redis_conn).scheduled_job_registry.count == 1


def test_failed_bulk_operation_is_shown_as_failed_with_its_error(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    node = {
        "id": "gid://shopify/BulkOperation/1",
        "status": "FAILED",
        "errorCode": "TIMEOUT",
        "objectCount": "0",
        "url": None,
        "partialDataUrl": None,
    }
    fake.queued.append((200, {"data": {"node": node}}))
    _running_sync(shopify_shop)

    assert catalog.poll_catalog_sync(shopify_shop.id) == "failed"
    sync = db.session.get(Shop, shopify_shop.id).settings["sync"]
    assert (sync["state"], sync["error"]) == ("failed", "bulk operation FAILED: TIMEOUT")


def test_malformed_line_stops_the_import_naming_the_shop_and_line(shopify_shop):
    lines = [line.decode() for line in jsonl_lines(2)] + ['{"id": "gid://shopify/Product/9"']
    with pytest.raises(ShopifyApiError, match=rf"{shopify_shop.domain}.*line 5"):
        catalog.import_lines(shopify_shop, lines)


def test_full_sync_marks_products_missing_from_the_export_as_deleted(
    shopify_shop, shopify_http, run_jobs
):
    from datetime import UTC, datetime

    gone = Product(
        shop_id=shopify_shop.id,
        platform_product_id="999",
        title="Discontinued",
        platform_updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    db.session.add(gone)
    db.session.commit()
    fake = FakeShopify(shopify_http)
    fake.bulk_object_count = 4
    shopify_http.add(responses.GET, fake.bulk_url, body=b"".join(jsonl_lines(2)))

    catalog.start_full_sync(shopify_shop, AdminClient(shopify_shop))
    db.session.commit()
    run_jobs("sync")

    db.session.expire_all()
    states = dict(db.session.execute(sa.select(Product.platform_product_id, Product.status)).all())
    assert states == {"999": "deleted", "1001": "active", "1002": "active"}
    assert db.session.get(Shop, shopify_shop.id).settings["sync"]["removed"] == 1


def export(prices: dict[int, str], *, stock: int = 5, updated: str = "2026-11-20T10:00:00Z"):
    """A bulk result of these products (number -> price), one variant each."""
    lines = []
    for n, price in prices.items():
        gid = f"gid://shopify/Product/{n}"
        lines.append(
            json.dumps({"id": gid, "title": f"Mug {n}", "handle": f"mug-{n}", "status": "ACTIVE",
                        "updatedAt": updated})
        )  # fmt: skip
        lines.append(
            json.dumps({"id": f"gid://shopify/ProductVariant/{n}", "title": "Default", "sku": None,
                        "price": price, "inventoryQuantity": stock, "__parentId": gid})
        )  # fmt: skip
    return lines


def _catalog() -> dict[str, tuple[int, str, Decimal | None, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Product.platform_product_id, Product.id, Product.status, Product.price,
                  Product.in_stock)
    ).all()  # fmt: skip
    return {row[0]: tuple(row[1:]) for row in rows}


def test_importing_the_same_export_again_keeps_the_same_rows_and_is_no_news(shopify_shop, heard):
    catalog.import_lines(shopify_shop, export({1: "10.00", 2: "20.00"}))
    first = _catalog()
    shopify_shop.settings = {}
    catalog.import_lines(shopify_shop, export({1: "10.00", 2: "20.00"}))

    assert _catalog() == first
    assert first["1"][1:] == ("active", Decimal("10.00"), True)
    assert db.session.scalar(sa.select(sa.func.count(Variant.id))) == 2
    assert heard == []


def test_a_newer_export_with_a_cheaper_price_or_stock_again_is_one_catalog_change(
    shopify_shop, heard
):
    catalog.import_lines(shopify_shop, export({1: "10.00", 2: "20.00"}, stock=0))
    shopify_shop.settings = {}
    newer = "2026-11-21T10:00:00Z"
    catalog.import_lines(shopify_shop, export({1: "8.00", 2: "25.00"}, stock=4, updated=newer))

    (change,) = heard
    assert isinstance(change, ev.CatalogChanged)
    assert change.shop_id == shopify_shop.id
    assert change.price_drops == (
        ev.PriceChange(product_id="1", old_price=Decimal("10.00"), new_price=Decimal("8.00")),
    )
    assert change.restocked == ("1", "2")
    variant = db.session.scalars(sa.select(Variant).where(Variant.platform_variant_id == "1")).one()
    assert (variant.price, variant.stock) == (Decimal("8.00"), 4)


def test_a_product_missing_from_the_next_export_is_marked_deleted(shopify_shop):
    catalog.import_lines(shopify_shop, export({1: "10.00", 2: "20.00"}))
    db.session.commit()
    second_sync_started = utcnow()
    shopify_shop.settings = {}
    catalog.import_lines(shopify_shop, export({1: "10.00"}))

    assert mark_missing_deleted(shopify_shop.id, second_sync_started) == 1
    db.session.commit()
    states = {key: row[1:] for key, row in _catalog().items()}
    assert states == {
        "1": ("active", Decimal("10.00"), True),
        "2": ("deleted", Decimal("20.00"), False),
    }


def test_an_import_writes_only_its_own_shops_products(shopify_shop, make_shop):
    other = make_shop(n=2, platform="shopify", domain="other.myshopify.com")
    catalog.import_lines(other, export({1: "99.00"}))
    catalog.import_lines(shopify_shop, export({1: "10.00", 2: "20.00"}))

    prices = dict(
        db.session.execute(
            sa.select(Product.shop_id, Product.price).where(Product.platform_product_id == "1")
        ).all()
    )
    assert prices == {other.id: Decimal("99.00"), shopify_shop.id: Decimal("10.00")}
    owners = db.session.execute(
        sa.select(Variant.shop_id, sa.func.count()).group_by(Variant.shop_id)
    )
    assert dict(owners.all()) == {other.id: 1, shopify_shop.id: 2}
