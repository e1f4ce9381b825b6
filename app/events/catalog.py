"""The one writer of products and variants: webhooks, the Shopify bulk export and the
WooCommerce REST sync all store ``ProductChanged`` batches here.

One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per batch and table. On PostgreSQL the
rows travel as one array per column (``unnest``), in binary, so the statement's text is the
same for any batch: it is prepared once, and a batch of thousands costs no SQL compilation and
no per-value placeholders; SQLite (development) gets the same upsert as a multi-row VALUES.

A product is only updated by data at least as new as what we hold (the platform's
``updated_at``), so an export that started before a webhook cannot undo it, whichever arrives
last. Stock and price come from the event's own rule (``ProductChanged.in_stock``/``price``),
the same for every path.

What shoppers may want to hear of (a product now cheaper than we held it, or back in stock
after being out) is read from the rows as they were, locked in the same fixed order, and
handed to the flows as one ``CatalogChanged`` per batch: the listener only notes it, and a job
finds who watched those products, so a sync of thousands of products does no per-product work.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
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
    variants_before = _held_variant_prices(shop_id, [newest[key] for key in before])
    # Rows in a fixed order, so two batches touching the same products lock them alike.
    rows = [_product_row(newest[key], now) for key in sorted(newest)]
    if _on_postgresql():
        written = _pg_upsert_products(shop_id, rows, now)
    else:
        written = _values_upsert_products(rows)
    _upsert_variants(shop_id, [newest[key] for key in written], written, now)
    changed = _news(shop_id, before, variants_before, [newest[key] for key in sorted(written)])
    if changed is not None:
        react(changed)
    return written


def _on_postgresql() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def _pg_execute(statement: str, params: dict[str, Any]) -> sa.CursorResult[*tuple[Any, ...]]:
    """One of the statements below, in the driver's own SQL: ``%(name)b`` sends a batch's
    array in PostgreSQL's binary format, which psycopg builds several times faster than the
    quoted text of thousands of values (a fifth of the bulk import's own CPU went there)."""
    return db.session.connection().exec_driver_sql(statement, params)


def _values_upsert_products(rows: list[dict[str, Any]]) -> dict[str, int]:
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
    return {str(key): int(row_id) for key, row_id in db.session.execute(stmt).all()}


def _held(shop_id: int, keys: list[str]) -> dict[str, tuple[Any, bool, str]]:
    """(price, in stock, status) of the products we already hold, locked until commit."""
    if _on_postgresql():
        rows = _pg_execute(_PG_HELD, {"shop_id": shop_id, "keys": keys}).all()
        return {str(key): (price, bool(stock), str(status)) for key, price, stock, status in rows}
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


def _held_variant_prices(shop_id: int, held: list[ProductChanged]) -> dict[str, Decimal]:
    """Platform variant id -> the price we hold, for the variants these (held) products list."""
    ids = sorted({variant.id for event in held for variant in event.variants})
    if not ids:
        return {}
    if _on_postgresql():  # one array parameter, not thousands of placeholders
        rows = _pg_execute(_PG_HELD_VARIANT_PRICES, {"shop_id": shop_id, "ids": ids}).all()
    else:
        rows = db.session.execute(
            ShopScope(shop_id)
            .select(Variant, Variant.platform_variant_id.in_(ids), Variant.price.is_not(None))
            .with_only_columns(Variant.platform_variant_id, Variant.price)
        ).all()
    return {str(key): Decimal(str(price)) for key, price in rows if price is not None}


def _variant_drop(event: ProductChanged, held: dict[str, Decimal]) -> PriceChange | None:
    """The sellable variant whose price fell the most (by share) below what we held, if any:
    a shopper who chose it sees a drop the "from" price may not show."""
    best: PriceChange | None = None
    for variant in event.variants:
        old = held.get(variant.id)
        if old is None or variant.price is None or not variant.sellable or variant.price >= old:
            continue
        if best is None or variant.price / old < best.new_price / best.old_price:
            best = PriceChange(
                product_id=event.product_id,
                old_price=old,
                new_price=variant.price,
                variant_id=variant.id,
            )
    return best


def _news(
    shop_id: int,
    before: dict[str, tuple[Any, bool, str]],
    variants_before: dict[str, Decimal],
    written: list[ProductChanged],
) -> CatalogChanged | None:
    """Products now cheaper than we held them (their "from" price, else one of their
    variants'), and products back in stock; None if neither. A product new to us is neither:
    nobody could have watched it."""
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
        elif (variant_drop := _variant_drop(event, variants_before)) is not None:
            drops.append(variant_drop)
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
            "platform_variant_id": variant.id,
            "product_id": product_ids[event.product_id],
            **{name: getattr(variant, name) for name in _VARIANT_FACTS},
            **{name: getattr(variant, name) for name in _VARIANT_KEPT_WHEN_MISSING},
        }
        for event in events
        for variant in event.variants
    }
    if not rows:
        return
    ordered = [rows[key] for key in sorted(rows)]
    if _on_postgresql():
        params = _arrays(ordered, _PG_VARIANT_COLUMNS)
        _pg_execute(_PG_UPSERT_VARIANTS, {**params, "shop_id": shop_id, "now": now})
        return
    for row in ordered:
        row.update(shop_id=shop_id, created_at=now, updated_at=now)
    stmt = dialect_insert(Variant).values(ordered)
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


def _pg_upsert_products(shop_id: int, rows: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    params = _arrays(rows, _PG_PRODUCT_COLUMNS)
    for name in ("cross_sell_ids", "upsell_ids"):
        params[name] = [json.dumps(ids) if ids else "[]" for ids in params[name]]
    result = _pg_execute(_PG_UPSERT_PRODUCTS, {**params, "shop_id": shop_id, "now": now})
    return {str(key): int(row_id) for key, row_id in result.all()}


def _arrays(
    rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]
) -> dict[str, list[Any]]:
    """One list per column: the parameters ``unnest`` zips back into rows."""
    return {name: [row[name] for row in rows] for name, _type in columns}


def _unnest(columns: tuple[tuple[str, str], ...]) -> str:
    arrays = ", ".join(f"CAST(%({name})b AS {sql_type}[])" for name, sql_type in columns)
    names = ", ".join(name for name, _type in columns)
    return f"unnest({arrays}) AS r({names})"


# The columns a batch brings, with their PostgreSQL types (the JSON lists come as text).
_PG_PRODUCT_COLUMNS = (
    ("platform_product_id", "varchar"),
    ("title", "varchar"),
    ("handle", "varchar"),
    ("url", "varchar"),
    ("image_url", "varchar"),
    ("category", "varchar"),
    ("status", "varchar"),
    ("price", "numeric"),
    ("compare_at_price", "numeric"),
    ("in_stock", "boolean"),
    ("cross_sell_ids", "text"),
    ("upsell_ids", "text"),
    ("platform_updated_at", "timestamptz"),
)
_PG_PRODUCT_SELECTED = ", ".join(
    f"CAST(r.{name} AS json)" if name in ("cross_sell_ids", "upsell_ids") else f"r.{name}"
    for name, _type in _PG_PRODUCT_COLUMNS
)
_PG_PRODUCT_UPDATED = [name for name, _type in _PG_PRODUCT_COLUMNS if name not in _FIXED]
# Rows in a fixed order, so two batches touching the same products lock them alike; a product
# is only updated by data at least as new as ours, and RETURNING names the rows written.
_PG_UPSERT_PRODUCTS = f"""
    INSERT INTO products (shop_id, {", ".join(name for name, _t in _PG_PRODUCT_COLUMNS)},
                          extra, created_at, updated_at)
    SELECT %(shop_id)s, {_PG_PRODUCT_SELECTED}, CAST('{{}}' AS jsonb), %(now)s, %(now)s
    FROM {_unnest(_PG_PRODUCT_COLUMNS)}
    ORDER BY r.platform_product_id
    ON CONFLICT (shop_id, platform_product_id) DO UPDATE SET
        {", ".join(f"{name} = excluded.{name}" for name in _PG_PRODUCT_UPDATED)},
        updated_at = excluded.updated_at
    WHERE products.platform_updated_at IS NULL
       OR products.platform_updated_at <= excluded.platform_updated_at
    RETURNING platform_product_id, id
    """
# The batch's keys are joined as rows, never tested with ``= ANY(array)``: psycopg prepares a
# statement run five times, and PostgreSQL may then keep a generic plan made while a fresh
# shop's table was small (a scan of the shop's products, each compared with every key of the
# array in turn). That plan grew with the table to seconds a batch, most of a 100,000-product
# import; a join finds each key by the unique index, or hashes the keys, whatever the plan.
_PG_HELD = """
    SELECT p.platform_product_id, p.price, p.in_stock, p.status
    FROM unnest(CAST(%(keys)b AS varchar[])) AS k(key)
    JOIN products p ON p.shop_id = %(shop_id)s AND p.platform_product_id = k.key
    ORDER BY p.platform_product_id
    FOR UPDATE OF p
    """
_PG_HELD_VARIANT_PRICES = """
    SELECT v.platform_variant_id, v.price
    FROM unnest(CAST(%(ids)b AS varchar[])) AS k(key)
    JOIN variants v ON v.shop_id = %(shop_id)s AND v.platform_variant_id = k.key
    WHERE v.price IS NOT NULL
    """
_PG_VARIANT_COLUMNS = (
    ("platform_variant_id", "varchar"),
    ("product_id", "integer"),
    ("title", "varchar"),
    ("sku", "varchar"),
    ("price", "numeric"),
    ("compare_at_price", "numeric"),
    ("stock", "integer"),
    ("weight_grams", "integer"),
    ("image_url", "varchar"),
)
_PG_UPSERT_VARIANTS = f"""
    INSERT INTO variants (shop_id, {", ".join(name for name, _t in _PG_VARIANT_COLUMNS)},
                          created_at, updated_at)
    SELECT %(shop_id)s, r.*, %(now)s, %(now)s
    FROM {_unnest(_PG_VARIANT_COLUMNS)}
    ORDER BY r.platform_variant_id
    ON CONFLICT (shop_id, platform_variant_id) DO UPDATE SET
        {", ".join(f"{name} = excluded.{name}" for name in ("product_id", *_VARIANT_FACTS))},
        {
    ", ".join(
        f"{name} = coalesce(excluded.{name}, variants.{name})"
        for name in _VARIANT_KEPT_WHEN_MISSING
    )
},
        updated_at = excluded.updated_at
    """


def mark_missing_deleted(shop_id: int, before: datetime) -> int:
    """After a complete export: products no upsert or webhook touched since ``before`` are
    gone from the shop (a missed delete webhook); mark them deleted."""
    result = db.session.execute(
        ShopScope(shop_id)
        .update(Product, Product.updated_at < before, Product.status != "deleted")
        .values(status="deleted", in_stock=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
