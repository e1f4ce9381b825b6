"""The one writer of products and variants: webhooks, the Shopify bulk export and the
WooCommerce REST sync all store ``ProductChanged`` batches here.

One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per batch and table. A product is only
updated by data at least as new as what we hold (the platform's ``updated_at``), so an export
that started before a webhook cannot undo it, whichever arrives last. Stock and price come from
the event's own rule (``ProductChanged.in_stock``/``price``), the same for every path.

What shoppers may want to hear of (a product now cheaper than we held it, or back in stock
after being out) is read from the rows as they were, locked in the same fixed order, and
handed to the flows as one ``CatalogChanged`` per batch: the listener only notes it, and a job
finds who watched those products, so a sync of thousands of products does no per-product work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.events.reactions import react
from app.events.types import CatalogChanged, PriceChange, ProductChanged
from app.models.base import db, utcnow
from app.models.catalog import Product, Variant
from app.models.scope import ShopScope
from app.models.sql import dialect_insert

_VARIANT_FACTS = ("title", "sku", "price", "compare_at_price", "stock")
# Facts a payload may leave out (Shopify's product webhook dropped weights in 2024-07): an
# update without them keeps what we know.
_VARIANT_KEPT_WHEN_MISSING = ("weight_grams", "image_url")


def upsert_products(shop_id: int, events: list[ProductChanged]) -> dict[str, int]:
    """Insert or update these products and their variants; older data never overwrites
    newer. Returns the products written: platform product id -> our id."""
    newest: dict[str, ProductChanged] = {}
    for event in events:
        if event.shop_id != shop_id:
            raise ValueError("product event of another shop in this batch")
        kept = newest.get(event.product_id)
        if kept is None or event.updated_at >= kept.updated_at:
            newest[event.product_id] = event  # one row per product: ON CONFLICT needs it
    if not newest:
        return {}
    now = utcnow()
    before = _held(shop_id, sorted(newest))
    # Rows in a fixed order, so two batches touching the same products lock them alike.
    rows = [_product_row(newest[key], now) for key in sorted(newest)]
    stmt = dialect_insert(Product).values(rows)
    updated = [name for name in rows[0] if name not in _FIXED]
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "platform_product_id"],
        set_={name: stmt.excluded[name] for name in updated},
        where=sa.or_(
            Product.platform_updated_at.is_(None),
            Product.platform_updated_at <= stmt.excluded.platform_updated_at,
        ),
    ).returning(Product.platform_product_id, Product.id)
    # RETURNING names only the rows written: a product kept for being newer keeps its variants.
    written = {str(key): int(row_id) for key, row_id in db.session.execute(stmt).all()}
    _upsert_variants(shop_id, [newest[key] for key in written], written, now)
    changed = _news(shop_id, before, [newest[key] for key in sorted(written)])
    if changed is not None:
        react(changed)
    return written


def _held(shop_id: int, keys: list[str]) -> dict[str, tuple[Any, bool, str]]:
    """(price, in stock, status) of the products we already hold, locked until commit."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Product, Product.platform_product_id.in_(keys))
        .with_only_columns(
            Product.platform_product_id, Product.price, Product.in_stock, Product.status
        )
        .order_by(Product.platform_product_id)
        .with_for_update()
    ).all()
    return {str(key): (price, bool(stock), str(status)) for key, price, stock, status in rows}


def _news(
    shop_id: int, before: dict[str, tuple[Any, bool, str]], written: list[ProductChanged]
) -> CatalogChanged | None:
    """Products now cheaper than we held them, and products back in stock; None if neither.
    A product new to us is neither: nobody could have watched it."""
    drops, restocked = [], []
    for event in written:
        held = before.get(event.product_id)
        if held is None or event.status != "active" or not event.in_stock:
            continue
        old_price, was_in_stock, old_status = held
        if not was_in_stock and old_status == "active":
            restocked.append(event.product_id)
        if old_price is not None and event.price is not None and event.price < old_price:
            drops.append(
                PriceChange(product_id=event.product_id, old_price=old_price, new_price=event.price)
            )
    if not drops and not restocked:
        return None
    return CatalogChanged(shop_id=shop_id, price_drops=tuple(drops), restocked=tuple(restocked))


# Set on insert only: the row's identity, when we first saw it, and our own notes.
_FIXED = ("shop_id", "platform_product_id", "created_at", "extra")


def _product_row(event: ProductChanged, now: datetime) -> dict[str, Any]:
    return {
        "shop_id": event.shop_id,
        "platform_product_id": event.product_id,
        "title": event.title,
        "handle": event.handle,
        "url": event.url,
        "image_url": event.image_url,
        "category": event.category,
        "status": event.status,
        "price": event.price,
        "compare_at_price": event.compare_at_price,
        "in_stock": event.in_stock,
        "cross_sell_ids": list(event.cross_sell_ids),
        "upsell_ids": list(event.upsell_ids),
        "platform_updated_at": event.updated_at,
        "extra": {},
        "created_at": now,
        "updated_at": now,
    }


def _upsert_variants(
    shop_id: int, events: list[ProductChanged], product_ids: dict[str, int], now: datetime
) -> None:
    rows = {
        variant.id: {  # keyed by id: ON CONFLICT may touch each row once per statement
            "shop_id": shop_id,
            "platform_variant_id": variant.id,
            "product_id": product_ids[event.product_id],
            **{name: getattr(variant, name) for name in _VARIANT_FACTS},
            **{name: getattr(variant, name) for name in _VARIANT_KEPT_WHEN_MISSING},
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for variant in event.variants
    }
    if not rows:
        return
    stmt = dialect_insert(Variant).values([rows[key] for key in sorted(rows)])
    table = Variant.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "platform_variant_id"],
        set_={
            **{name: stmt.excluded[name] for name in ("product_id", *_VARIANT_FACTS)},
            **{
                name: sa.func.coalesce(stmt.excluded[name], table.c[name])
                for name in _VARIANT_KEPT_WHEN_MISSING
            },
            "updated_at": stmt.excluded.updated_at,
        },
    )
    db.session.execute(stmt)


def mark_missing_deleted(shop_id: int, before: datetime) -> int:
    """After a complete export: products no upsert or webhook touched since ``before`` are
    gone from the shop (a missed delete webhook); mark them deleted."""
    result = db.session.execute(
        ShopScope(shop_id)
        .update(Product, Product.updated_at < before, Product.status != "deleted")
        .values(status="deleted", in_stock=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
