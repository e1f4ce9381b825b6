"""Bulk-export rows (GraphQL JSONL) to product and variant rows, upserted a batch at a time.

One ``INSERT ... ON CONFLICT DO UPDATE`` per batch and table instead of a query per row; the
update only applies when the export is at least as new as what we hold, so a webhook that
arrived during the sync is not overwritten by the older export.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.connectors.shopify.mapping import parse_time
from app.models import Product, ShopScope, Variant, db, utcnow


def legacy_id(gid: str) -> str:
    """``gid://shopify/Product/123`` -> ``123`` (the id webhooks carry)."""
    return gid.rsplit("/", 1)[-1]


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def product_row(domain: str, node: dict[str, Any]) -> dict[str, Any]:
    media = ((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
    handle = node.get("handle")
    return {
        "platform_product_id": legacy_id(node["id"]),
        "title": node.get("title") or "",
        "handle": handle,
        "url": node.get("onlineStoreUrl")
        or (f"https://{domain}/products/{handle}" if handle else None),
        "image_url": media.get("url"),
        "category": node.get("productType") or None,
        "status": "active" if node.get("status") == "ACTIVE" else "draft",
        "platform_updated_at": parse_time(node.get("updatedAt")),
    }


def variant_row(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "platform_variant_id": legacy_id(node["id"]),
        "parent": legacy_id(node["__parentId"]),
        "title": node.get("title") or "",
        "sku": node.get("sku") or None,
        "price": _money(node.get("price")),
        "compare_at_price": _money(node.get("compareAtPrice")),
        "stock": node.get("inventoryQuantity"),
    }


def _insert(model: type[Any]) -> Any:
    module: Any = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model.__table__)


def _summarise(products: list[dict[str, Any]], variants: list[dict[str, Any]]) -> None:
    """Price (cheapest variant) and stock of each product from its variants in the batch."""
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for variant in variants:
        by_parent.setdefault(variant["parent"], []).append(variant)
    for product in products:
        own = by_parent.get(product["platform_product_id"], [])
        priced = [v for v in own if v["price"] is not None]
        cheapest = min(priced, key=lambda v: v["price"], default=None)
        product["price"] = cheapest["price"] if cheapest else None
        product["compare_at_price"] = cheapest["compare_at_price"] if cheapest else None
        product["in_stock"] = any(v["stock"] is None or v["stock"] > 0 for v in own)


def upsert_batch(
    shop_id: int, products: list[dict[str, Any]], variants: list[dict[str, Any]]
) -> None:
    """Batches hold whole groups (a product and its variants), so the products the upsert
    applied are exactly the parents whose variants may be written."""
    _summarise(products, variants)
    now = utcnow()
    applied: dict[str, int] = {}
    if products:
        rows = [{**p, "shop_id": shop_id, "created_at": now, "updated_at": now} for p in products]
        stmt = _insert(Product).values(rows)
        table = Product.__table__
        columns = [k for k in products[0] if k != "platform_product_id"] + ["updated_at"]
        stmt = stmt.on_conflict_do_update(
            index_elements=["shop_id", "platform_product_id"],
            set_={c: stmt.excluded[c] for c in columns},
            where=sa.or_(
                table.c.platform_updated_at.is_(None),
                stmt.excluded.platform_updated_at >= table.c.platform_updated_at,
            ),
        ).returning(table.c.platform_product_id, table.c.id)
        # A product skipped as older than what a webhook stored returns no row.
        applied = {str(key): int(row_id) for key, row_id in db.session.execute(stmt).all()}
    if variants:
        _upsert_variants(shop_id, variants, applied, now)


def _upsert_variants(
    shop_id: int, variants: list[dict[str, Any]], ids: dict[str, int], now: Any
) -> None:
    rows = [
        {
            **{k: v for k, v in variant.items() if k != "parent"},
            "shop_id": shop_id,
            "product_id": ids[variant["parent"]],
            "created_at": now,
            "updated_at": now,
        }
        for variant in variants
        if variant["parent"] in ids  # a parent skipped as older keeps its stored variants
    ]
    if not rows:
        return
    stmt = _insert(Variant).values(rows)
    columns = ["product_id", "title", "sku", "price", "compare_at_price", "stock", "updated_at"]
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "platform_variant_id"],
        set_={c: stmt.excluded[c] for c in columns},
    )
    db.session.execute(stmt)


def mark_missing_deleted(shop_id: int, before: datetime) -> int:
    """After a complete export: products no upsert or webhook touched since ``before`` are
    gone from Shopify (a missed products/delete webhook); mark them deleted."""
    result = db.session.execute(
        ShopScope(shop_id)
        .update(Product, Product.updated_at < before, Product.status != "deleted")
        .values(status="deleted", in_stock=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
