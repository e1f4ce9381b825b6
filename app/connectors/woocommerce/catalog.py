"""Batched product upserts for the catalog sync: one statement per page, never back in time."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.events.types import ProductChanged
from app.logs import fields as log_fields
from app.models import Product, Variant, db, utcnow

# The event fields stored as they are; ids become lists, and the event's updated_at is the
# platform's time (platform_updated_at), not the row's.
_COPIED = tuple(
    f.name
    for f in fields(ProductChanged)
    if f.name in Product.__table__.c
    and f.name not in ("shop_id", "cross_sell_ids", "upsell_ids", "updated_at")
)


def _row(event: ProductChanged, now: Any) -> dict[str, Any]:
    row = {attr: getattr(event, attr) for attr in _COPIED}
    row.update(
        shop_id=event.shop_id,
        platform_product_id=event.product_id,
        cross_sell_ids=list(event.cross_sell_ids),
        upsell_ids=list(event.upsell_ids),
        extra=log_fields(),
        platform_updated_at=event.updated_at,
        created_at=now,
        updated_at=now,
    )
    return row


def upsert_products(shop_id: int, events: list[ProductChanged]) -> int:
    """Insert or update these products (and their variants) in one statement each; older
    data never overwrites newer. Returns how many products were written."""
    newest: dict[str, ProductChanged] = {}
    for event in events:
        if event.shop_id != shop_id:
            raise ValueError("product event of another shop in this batch")
        kept = newest.get(event.product_id)
        if kept is None or event.updated_at >= kept.updated_at:
            newest[event.product_id] = event  # one row per product: ON CONFLICT needs it
    if not newest:
        return 0
    now = utcnow()
    dialect: Any = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Product).values([_row(e, now) for e in newest.values()])
    columns = (*_COPIED, "cross_sell_ids", "upsell_ids", "platform_updated_at", "updated_at")
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "platform_product_id"],
        set_={name: stmt.excluded[name] for name in columns},
        where=sa.or_(
            Product.platform_updated_at.is_(None),
            Product.platform_updated_at <= stmt.excluded.platform_updated_at,
        ),
    ).returning(Product.id, Product.platform_product_id)
    # RETURNING names only the rows written: a product kept for being newer keeps its variants.
    written = {platform_id: row_id for row_id, platform_id in db.session.execute(stmt)}
    _upsert_variants(dialect, shop_id, newest, written, now)
    return len(written)


def _upsert_variants(
    dialect: Any,
    shop_id: int,
    events: dict[str, ProductChanged],
    product_ids: dict[str, int],
    now: Any,
) -> None:
    rows = {
        str(data["id"]): {
            **{key: value for key, value in data.items() if key != "id"},
            "shop_id": shop_id,
            "product_id": product_ids[platform_id],
            "platform_variant_id": str(data["id"]),
            "created_at": now,
            "updated_at": now,
        }
        for platform_id, event in events.items()
        if platform_id in product_ids
        for data in event.variants
    }
    if not rows:
        return
    stmt = dialect.insert(Variant).values(list(rows.values()))
    first = next(iter(rows.values()))
    kept = [c for c in first if c not in ("shop_id", "platform_variant_id", "created_at")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "platform_variant_id"],
        set_={name: stmt.excluded[name] for name in kept},
    )
    db.session.execute(stmt)
