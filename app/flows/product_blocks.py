"""One-to-one product blocks for any flow's email: what this shopper last looked at, looked at
before, bought, what goes with those, and what they looked at or carted that is now cheaper.

A flow's compose asks for the blocks its template shows (``blocks_for``); the merchant picks
among them on the flow's page (``block_settings``: one tick box per block, ``chosen``); a block
with no product is left out, so an email never shows an empty heading. Products must be live
(active, in stock) and priced to be shown.

"Discounted" means cheaper now than the shopper saw it: a view keeps the catalog's price when
it was stored (``StorefrontEvent.price_seen``), a cart line its own unit price, and the latest
of those is the price they saw, shown struck through. A product viewed before we kept prices
counts when it is on sale (compare-at price above the price), as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.emails.rendering import BLOCK_KINDS
from app.flows.engine.definition import Setting
from app.insights.recommendations import (
    bestseller_ids,
    customer_products,
    recommend_for_products,
)
from app.models import Cart, Product, ShopScope, StorefrontEvent, db

# Views this close before the latest one belong to the same visit.
VISIT = timedelta(hours=2)

__all__ = [
    "BLOCK_KINDS",
    "block_settings",
    "blocks_for",
    "chosen",
    "live_products",
    "named_block",
    "product_card",
    "seen_prices",
    "viewed_products",
]
# The merchant's words for each block's tick box are the page's (``words.SETTINGS``).
_BLOCK_HELP = {
    "last_viewed": "what they looked at last",
    "ever_viewed": "what they looked at before",
    "bought": "what they bought",
    "recommended": "what goes with it",
    "discounted": "what they saw that is cheaper now",
    "bestsellers": "the shop's bestsellers",
}


def block_settings(defaults: Mapping[str, bool]) -> tuple[Setting, ...]:
    """One tick box per product block a flow's email may show, on or off by default."""
    return tuple(
        Setting(f"block_{kind}", on, help=_BLOCK_HELP[kind]) for kind, on in defaults.items()
    )


def chosen(settings: Mapping[str, Any], kinds: Iterable[str]) -> list[str]:
    """The blocks among ``kinds`` the merchant left on (in the flow's order)."""
    return [kind for kind in kinds if settings.get(f"block_{kind}", False)]


def product_card(product: Product, was: Decimal | None = None) -> dict[str, Any]:
    """A product as an email shows it; ``was``: the price to strike through (else the
    shop's compare-at price)."""
    return {
        "product_id": product.platform_product_id,
        "title": product.title,
        "image_url": product.image_url,
        "url": product.url,
        "unit_price": product.price,
        "compare_at_price": product.compare_at_price if was is None else was,
    }


def live_products(shop_id: int, platform_ids: Sequence[str]) -> list[Product]:
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


def seen_prices(shop_id: int, customer_id: int) -> dict[str, Decimal]:
    """The price the customer last saw each product at: their latest priced view or cart
    line, whichever is newer."""
    seen = StorefrontEvent
    views = db.session.execute(
        ShopScope(shop_id)
        .select(
            seen,
            seen.customer_id == customer_id,
            seen.kind == "product_viewed",
            seen.price_seen.is_not(None),
        )
        .with_only_columns(seen.product_id, seen.price_seen, seen.occurred_at)
        .order_by(seen.occurred_at.desc())
        .limit(500)
    ).all()
    latest: dict[str, tuple[datetime, Decimal]] = {}
    for pid, price, at in views:
        latest.setdefault(str(pid), (at, Decimal(str(price))))
    for cart in ShopScope(shop_id).all(Cart, Cart.customer_id == customer_id):
        at = cart.platform_updated_at or cart.updated_at
        for item in cart.items or []:
            pid, price = str(item.get("product_id")), item.get("unit_price")
            if price is not None and (pid not in latest or latest[pid][0] < at):
                latest[pid] = (at, Decimal(str(price)))
    return {pid: price for pid, (_at, price) in latest.items()}


def _discounted(shop_id: int, customer_id: int, candidates: list[str]) -> list[dict[str, Any]]:
    """Cards of the candidates cheaper now than the customer saw them (struck: that price)."""
    seen = seen_prices(shop_id, customer_id)
    cards = []
    for product in live_products(shop_id, candidates):
        was = seen.get(product.platform_product_id)
        assert product.price is not None  # live products are priced
        if was is not None and product.price < was:
            cards.append(product_card(product, was))
        elif was is None and (product.compare_at_price or 0) > product.price:
            cards.append(product_card(product))  # seen before we kept prices: on sale now
    return cards


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
    *,
    seeds: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The asked-for blocks in the order asked, each ``{"kind", "products"}``, none empty.

    ``focus``: products the email is about (the browse scan's); they lead "last viewed".
    ``seeds``: what "recommended" goes with (default: the last visit and what they bought).
    ``exclude``: products the email shows already (a cart's lines), in no block again.
    """
    kinds = [k for k in kinds if k in BLOCK_KINDS]
    if not kinds or per_block <= 0:
        return []
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
    if "recommended" in kinds:
        picks = recommend_for_products(
            shop_id, last_visit + bought if seeds is None else seeds, customer_id, per_block + 4
        )
        ids["recommended"] = [s.platform_product_id for s in picks]
    skip = set(exclude)
    blocks = []
    for kind in kinds:
        if kind == "discounted":
            candidates = [pid for pid, _at in viewed] + _carted(shop_id, customer_id)
            cards = _discounted(shop_id, customer_id, candidates)
        else:
            cards = [product_card(p) for p in live_products(shop_id, ids[kind])]
        cards = [c for c in cards if c["product_id"] not in skip][:per_block]
        if cards:
            blocks.append({"kind": kind, "products": cards})
    return blocks


def named_block(
    shop_id: int, kind: str, platform_ids: Sequence[str], per_block: int = 3
) -> list[dict[str, Any]]:
    """One block of exactly these products (those still live, in the order given), or no
    block when none is: the products an email is about (what to buy again)."""
    cards = [product_card(p) for p in live_products(shop_id, platform_ids)[:per_block]]
    return [{"kind": kind, "products": cards}] if cards and kind in BLOCK_KINDS else []
