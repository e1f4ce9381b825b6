"""One-to-one product blocks for any flow's email: what this shopper last looked at, looked at
before, bought, what goes with those, and what they looked at or carted that is now cheaper.

A flow's compose asks for the blocks its template shows (``blocks_for``); a block with no
product is left out, so an email never shows an empty heading. Products must be live (active,
in stock) and priced to be shown. "Discounted" means on sale now (compare-at price above the
price) among the products the shopper viewed or carted: we do not keep the price each view saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.emails.rendering import BLOCK_KINDS
from app.insights.recommendations import (
    bestseller_ids,
    customer_products,
    recommend_for_products,
)
from app.models import Cart, Product, ShopScope, StorefrontEvent, db

# Views this close before the latest one belong to the same visit.
VISIT = timedelta(hours=2)

__all__ = ["BLOCK_KINDS", "blocks_for", "named_block", "viewed_products"]


def _card(product: Product) -> dict[str, Any]:
    return {
        "product_id": product.platform_product_id,
        "title": product.title,
        "image_url": product.image_url,
        "url": product.url,
        "unit_price": product.price,
        "compare_at_price": product.compare_at_price,
    }


def _live(shop_id: int, platform_ids: Sequence[str]) -> list[Product]:
    """The live, priced products among these ids, in the order given."""
    if not platform_ids:
        return []
    found = ShopScope(shop_id).all(
        Product,
        Product.platform_product_id.in_(list(platform_ids)),
        Product.status == "active",
        Product.in_stock.is_(True),
        Product.price.is_not(None),
    )
    by_id = {p.platform_product_id: p for p in found}
    return [by_id[pid] for pid in dict.fromkeys(platform_ids) if pid in by_id]


def viewed_products(shop_id: int, customer_id: int) -> list[tuple[str, Any]]:
    """(product id, last viewed) of everything the customer viewed, latest first."""
    seen = StorefrontEvent
    last = sa.func.max(seen.occurred_at)
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(seen, seen.customer_id == customer_id, seen.kind == "product_viewed")
        .with_only_columns(seen.product_id, last)
        .group_by(seen.product_id)
        .order_by(last.desc(), seen.product_id)
    ).all()
    return [(str(pid), at) for pid, at in rows if pid is not None]


def _last_visit(viewed: list[tuple[str, Any]]) -> list[str]:
    if not viewed:
        return []
    latest = viewed[0][1]
    return [pid for pid, at in viewed if at >= latest - VISIT]


def _carted(shop_id: int, customer_id: int) -> list[str]:
    carts = ShopScope(shop_id).all(Cart, Cart.customer_id == customer_id)
    return [str(item.get("product_id")) for cart in carts for item in cart.items or []]


def _bought(shop_id: int, customer_id: int) -> list[str]:
    ids = customer_products(shop_id, customer_id)
    if not ids:
        return []
    rows = ShopScope(shop_id).all(Product, Product.id.in_(ids))
    by_id = {p.id: p.platform_product_id for p in rows}
    return [by_id[i] for i in ids if i in by_id]


def blocks_for(
    shop_id: int,
    customer_id: int,
    kinds: Iterable[str],
    per_block: int = 3,
    focus: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The asked-for blocks in the order asked, each ``{"kind", "products"}``, none empty.

    ``focus``: products the email is about (the browse scan's); they lead "last viewed".
    """
    kinds = [k for k in kinds if k in BLOCK_KINDS]
    viewed = viewed_products(shop_id, customer_id)
    last_visit = list(dict.fromkeys([*focus, *_last_visit(viewed)]))
    bought = _bought(shop_id, customer_id) if {"bought", "recommended"} & set(kinds) else []
    ids: dict[str, list[str]] = {
        "last_viewed": last_visit,
        "ever_viewed": [pid for pid, _at in viewed if pid not in last_visit],
        "bought": bought,
    }
    if "bestsellers" in kinds:
        ids["bestsellers"] = [p for p in bestseller_ids(shop_id, per_block + 8) if p not in bought]
    if "discounted" in kinds:
        candidates = [pid for pid, _at in viewed] + _carted(shop_id, customer_id)
        ids["discounted"] = [
            p.platform_product_id
            for p in _live(shop_id, candidates)
            if p.compare_at_price is not None
            and p.price is not None
            and p.compare_at_price > p.price
        ]
    blocks = []
    for kind in kinds:
        if kind == "recommended":
            seeds = last_visit + bought
            picks = recommend_for_products(shop_id, seeds, customer_id, limit=per_block + 4)
            products = [p for p in _live(shop_id, [s.platform_product_id for s in picks])]
        else:
            products = _live(shop_id, ids[kind])
        cards = [_card(p) for p in products[:per_block]]
        if cards:
            blocks.append({"kind": kind, "products": cards})
    return blocks


def named_block(
    shop_id: int, kind: str, platform_ids: Sequence[str], per_block: int = 3
) -> list[dict[str, Any]]:
    """One block of exactly these products (those still live, in the order given), or no
    block when none is: the products an email is about (what to buy again)."""
    cards = [_card(p) for p in _live(shop_id, platform_ids)[:per_block]]
    return [{"kind": kind, "products": cards}] if cards and kind in BLOCK_KINDS else []
