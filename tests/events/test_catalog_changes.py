"""The catalog writer tells the flows what changed that shoppers may want to hear of: products
now cheaper than we held them and products back in stock, once per batch, whichever path
wrote them; nothing for new products, unchanged ones or data older than what we hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.events import types as ev
from app.events.catalog import upsert_products
from app.models import db, utcnow

T0 = utcnow() - timedelta(days=1)


def product(shop_id: int, pid: str, price: str, *, in_stock: bool = True, at=T0, status="active"):
    return ev.ProductChanged(
        shop_id=shop_id,
        product_id=pid,
        title=f"Product {pid}",
        status=status,
        offer=ev.Offer(price=Decimal(price), stock=None if in_stock else 0),
        updated_at=at,
    )


def test_a_batch_with_cheaper_and_restocked_products_is_one_catalog_change(shop, heard):
    upsert_products(
        shop.id,
        [
            product(shop.id, "1", "100.00"),
            product(shop.id, "2", "50.00", in_stock=False),
            product(shop.id, "3", "70.00"),
        ],
    )
    assert heard == []  # new products: nobody can have watched them
    later = T0 + timedelta(hours=1)
    upsert_products(
        shop.id,
        [
            product(shop.id, "1", "80.00", at=later),
            product(shop.id, "2", "50.00", at=later),
            product(shop.id, "3", "75.00", at=later),  # dearer: no news
        ],
    )
    db.session.commit()
    (change,) = heard
    assert isinstance(change, ev.CatalogChanged)
    assert change.price_drops == (
        ev.PriceChange(product_id="1", old_price=Decimal("100.00"), new_price=Decimal("80.00")),
    )
    assert change.restocked == ("2",)


def test_older_data_or_a_product_still_out_of_stock_is_no_news(shop, heard):
    upsert_products(shop.id, [product(shop.id, "1", "100.00", in_stock=False)])
    upsert_products(shop.id, [product(shop.id, "1", "60.00", at=T0 - timedelta(hours=1))])
    upsert_products(
        shop.id, [product(shop.id, "1", "60.00", in_stock=False, at=T0 + timedelta(hours=1))]
    )
    assert heard == []  # the older update was not written; the cheaper one cannot be bought


def test_a_draft_coming_back_is_not_a_restock(shop, heard):
    upsert_products(shop.id, [product(shop.id, "1", "100.00", in_stock=False, status="draft")])
    upsert_products(shop.id, [product(shop.id, "1", "100.00", at=T0 + timedelta(hours=1))])
    assert heard == []


def _sized(shop_id: int, small: str, large: str, *, at=T0) -> ev.ProductChanged:
    return ev.ProductChanged(
        shop_id=shop_id,
        product_id="1",
        title="Shirt",
        variants=(
            ev.ProductVariant(id="1-S", price=Decimal(small), stock=3),
            ev.ProductVariant(id="1-XL", price=Decimal(large), stock=3),
        ),
        updated_at=at,
    )


def test_a_variant_cheaper_than_we_held_it_is_news_though_the_from_price_stands(shop, heard):
    upsert_products(shop.id, [_sized(shop.id, "100.00", "200.00")])
    upsert_products(shop.id, [_sized(shop.id, "100.00", "150.00", at=T0 + timedelta(hours=1))])
    upsert_products(shop.id, [_sized(shop.id, "100.00", "180.00", at=T0 + timedelta(hours=2))])
    (change,) = heard  # the rise back to 180.00 is no news
    assert change.price_drops == (
        ev.PriceChange(
            product_id="1",
            old_price=Decimal("200.00"),
            new_price=Decimal("150.00"),
            variant_id="1-XL",
        ),
    )
