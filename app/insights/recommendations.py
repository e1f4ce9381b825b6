"""What to suggest next: the merchant's picks, then what the same customers bought, then the
customer's own staples, then bestsellers — never what cannot or should not be bought.

Sources are mixed by priority, not by blending scores: every merchant pick comes before any
learned pair, every learned pair before any staple, every staple before any bestseller, because
the merchant's choice is a business decision and bestsellers are what everyone gets. Learned
rows come from the nightly job (``recommendation_model.py``); merchant picks are read live so an
edit shows at once. Learned pairs are served only where the nightly backtest of that email on
the shop's own orders showed they beat bestsellers (``recs_choice``); the backtest ranks with
the same tiers (``recs_eval.rank_keys``), so it measures what this module sends. Where it
showed that the views-aware pairs beat the order-only ones, a known customer's learned tier also
takes what they looked at through the view -> purchase pairs, scores added as the backtest adds
them.

Never suggested: a product of the order/basket itself, one the customer already bought (unless
the orders show customers buy it again, or the merchant calls its category consumable; never
when the merchant calls it one-time), out of stock, unpublished or deleted. Suggestions are
whole products, so another variant of something bought is excluded with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa

from app.insights.history import bestsellers, load_lines, purchases
from app.insights.knobs import ModelSettings
from app.insights.viewing import viewed_products
from app.models import Customer, Order, Product, Recommendation, Shop, ShopScope, db
from app.models.shop_settings import RecommendationEvidence, ShopSettingsError

# A shop the nightly job has not learned yet gets bestsellers from its newest order lines.
LIVE_BESTSELLER_LINES = 20_000

REASONS = {
    "merchant": "picked by the shop to go with it",
    "co_purchase": "bought together by {support} customers",
    "view_purchase": "bought by {support} customers who looked at the same",
    "repurchase": "bought again by {support} of its customers",
    "bestseller": "a bestseller: {support} customers bought it lately",
    "upsell": "a step up in {category}",
}
# Shopify's complementary products (Search & Discovery) as the connector copies them into
# ``Product.extra``: product ids or GIDs like "gid://shopify/Product/123".
COMPLEMENTARY_KEY = "complementary_product_ids"


@dataclass(frozen=True)
class Suggestion:
    product_id: int
    platform_product_id: str
    title: str
    url: str | None
    image_url: str | None
    price: Decimal | None
    category: str | None
    source: str
    score: float
    support: int

    @property
    def reason(self) -> str:
        """Why this product, in words a merchant or customer understands."""
        return REASONS[self.source].format(support=self.support, category=self.category)

    def card(self) -> dict[str, Any]:
        """The product as an email template shows it."""
        return {
            "product_id": self.platform_product_id,
            "title": self.title,
            "image_url": self.image_url,
            "url": self.url,
            "unit_price": self.price,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _Candidate:
    product_id: int
    source: str
    score: float
    support: int


def recommend_for_order(shop_id: int, order_id: int, limit: int = 4) -> list[Suggestion]:
    """Products to suggest after this order, best first."""
    scope = ShopScope(shop_id)
    order = scope.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} is not an order of shop {shop_id}")
    in_order = _product_ids(shop_id, [str(i["product_id"]) for i in order.items])
    bought = customer_products(shop_id, order.customer_id) if order.customer_id else []
    return _recommend(
        shop_id, in_order, set(in_order), set(bought), limit, "order", order.customer_id
    )


def recommend_for_customer(shop_id: int, customer_id: int, limit: int = 4) -> list[Suggestion]:
    """Products to suggest to a customer from everything they bought, best first."""
    if ShopScope(shop_id).get(Customer, customer_id) is None:
        raise LookupError(f"customer {customer_id} is not a customer of shop {shop_id}")
    bought = customer_products(shop_id, customer_id)
    return _recommend(shop_id, bought, set(), set(bought), limit, "customer", customer_id)


def recommend_for_products(
    shop_id: int, platform_ids: Sequence[str], customer_id: int | None = None, limit: int = 4
) -> list[Suggestion]:
    """What goes with these products (e.g. the ones a shopper looked at), never them again
    nor what the customer already bought."""
    seeds = _product_ids(shop_id, list(platform_ids))
    bought = customer_products(shop_id, customer_id) if customer_id else []
    # Products to go with products: served like cross-sell's (the "order" evidence).
    return _recommend(
        shop_id,
        seeds=seeds,
        never=set(seeds),
        owned=set(bought),
        limit=limit,
        email="order",
        customer_id=customer_id,
    )


def upsell_for(shop_id: int, product_ids: Sequence[int], limit: int = 2) -> list[Suggestion]:
    """Pricier products of the same category: the merchant's up-sells first, then the gentlest
    step up in price."""
    scope = ShopScope(shop_id)
    given = scope.all(Product, Product.id.in_(product_ids))
    picks = [
        _Candidate(pid, "merchant", 1.0, 0)
        for pid in _product_ids(shop_id, [u for p in given for u in p.upsell_ids])
    ]
    ceilings: dict[str, Decimal] = {}
    for product in given:
        if product.category and product.price is not None:
            ceilings[product.category] = max(
                product.price, ceilings.get(product.category, product.price)
            )
    steps = [
        sa.and_(Product.category == category, Product.price > price)
        for category, price in ceilings.items()
    ]
    pricier = scope.all(Product, sa.or_(*steps), _available()) if steps else []
    pricier.sort(key=lambda p: (p.price, p.id))
    candidates = picks + [_Candidate(p.id, "upsell", float(p.price or 0), 0) for p in pricier]
    return _finish(shop_id, candidates, never=set(product_ids), owned=set(), limit=limit)


def customer_products(shop_id: int, customer_id: int) -> list[int]:
    """Products the customer bought in live orders, most recent first."""
    bought = purchases(shop_id).subquery()
    last_bought = sa.func.max(bought.c.placed_at)
    stmt = (
        sa.select(bought.c.product_id)
        .where(bought.c.basket == customer_id)
        .group_by(bought.c.product_id)
        .order_by(last_bought.desc(), bought.c.product_id)
    )
    return list(db.session.scalars(stmt))


def _recommend(
    shop_id: int,
    seeds: list[int],
    never: set[int],
    owned: set[int],
    limit: int,
    email: str,
    customer_id: int | None = None,
) -> list[Suggestion]:
    shop = db.session.get(Shop, shop_id)
    settings = ModelSettings.for_shop(shop)
    method = served_method(shop, email)
    learned = _learned(shop_id, seeds) if method in ("co_purchase", "views_aware") else []
    if method == "views_aware" and customer_id is not None:
        viewed = viewed_products(shop_id, customer_id)
        learned = _added(learned, _learned(shop_id, viewed, "view_purchase"))
    staples = _staples(shop_id)
    candidates = (
        _merchant_picks(shop_id, seeds)
        + learned
        + [staples[p] for p in sorted(owned & staples.keys(), key=lambda p: (-staples[p].score, p))]
        + _bestsellers(shop_id)
    )
    return _finish(shop_id, candidates, never, owned, limit, settings, set(staples))


def served_method(shop: Shop | None, email: str) -> str:
    """What the shop's evidence says this email serves: ``views_aware``, ``co_purchase`` or
    ``bestsellers``."""
    try:
        evidence = shop.recommendation_evidence if shop else RecommendationEvidence()
    except ShopSettingsError:
        evidence = RecommendationEvidence()
    return evidence.method if email == "order" else evidence.winback_method


def _merchant_picks(shop_id: int, seeds: list[int]) -> list[_Candidate]:
    products = {p.id: p for p in ShopScope(shop_id).all(Product, Product.id.in_(seeds))}
    wanted = [
        _platform_id(ref)
        for seed in seeds
        if seed in products
        for ref in products[seed].cross_sell_ids + products[seed].extra.get(COMPLEMENTARY_KEY, [])
    ]
    return [_Candidate(pid, "merchant", 1.0, 0) for pid in _product_ids(shop_id, wanted)]


def _learned(shop_id: int, seeds: list[int], source: str = "co_purchase") -> list[_Candidate]:
    """Partners of all the seeds; a product that goes with several of them scores higher."""
    if not seeds:
        return []
    score = sa.func.sum(Recommendation.score)
    stmt = (
        ShopScope(shop_id)
        .select(Recommendation, Recommendation.product_id.in_(seeds))
        .where(Recommendation.source == source)
        .with_only_columns(
            Recommendation.recommended_product_id, score, sa.func.max(Recommendation.support)
        )
        .group_by(Recommendation.recommended_product_id)
        .order_by(score.desc(), Recommendation.recommended_product_id)
    )
    return [_Candidate(pid, source, float(s), int(n)) for pid, s, n in db.session.execute(stmt)]


def _added(*ranked: list[_Candidate]) -> list[_Candidate]:
    """One learned tier from several pair sources: scores added per product (as the backtest's
    ``seed @ pairs + viewed @ view_pairs``), named after the source that gave the most."""
    total: dict[int, float] = {}
    best: dict[int, _Candidate] = {}
    for candidate in (c for candidates in ranked for c in candidates):
        total[candidate.product_id] = total.get(candidate.product_id, 0.0) + candidate.score
        if candidate.product_id not in best or candidate.score > best[candidate.product_id].score:
            best[candidate.product_id] = candidate
    order = sorted(total, key=lambda p: (-total[p], p))
    return [_Candidate(p, best[p].source, total[p], best[p].support) for p in order]


def repurchase_intervals(shop_id: int) -> dict[int, int]:
    """Product id -> the median days between two purchases of it, for the staples the orders
    taught (what a replenishment reminder waits); the merchant's one-time categories are out."""
    settings = ModelSettings.for_shop(db.session.get(Shop, shop_id))
    rows = ShopScope(shop_id).all(Recommendation, Recommendation.source == "repurchase")
    products = {
        p.id: p
        for p in ShopScope(shop_id).all(Product, Product.id.in_([r.product_id for r in rows]))
    }
    return {
        r.recommended_product_id: r.rank
        for r in rows
        if r.product_id in products
        and products[r.product_id].category not in settings.one_time_categories
    }


def _staples(shop_id: int) -> dict[int, _Candidate]:
    """Products the orders show customers buy again, by product."""
    rows = ShopScope(shop_id).all(Recommendation, Recommendation.source == "repurchase")
    return {
        r.recommended_product_id: _Candidate(
            r.recommended_product_id, "repurchase", r.score, r.support
        )
        for r in rows
    }


def bestseller_ids(shop_id: int, limit: int = 8) -> list[str]:
    """The platform ids of the shop's bestsellers, best first (learned nightly, else from its
    newest orders): what a newcomer who has bought nothing yet is shown."""
    ids = [c.product_id for c in _bestsellers(shop_id)][:limit]
    products = ShopScope(shop_id).all(Product, Product.id.in_(ids)) if ids else []
    by_id = {p.id: p.platform_product_id for p in products}
    return [by_id[i] for i in ids if i in by_id]


def _bestsellers(shop_id: int) -> list[_Candidate]:
    rows = ShopScope(shop_id).all(Recommendation, Recommendation.source == "bestseller")
    if not rows:
        return _live_bestsellers(shop_id)
    rows.sort(key=lambda r: r.rank)
    return [_Candidate(r.recommended_product_id, "bestseller", r.score, r.support) for r in rows]


def _live_bestsellers(shop_id: int) -> list[_Candidate]:
    """Bestsellers of a shop not learned yet (a fresh install, an import not yet relearned),
    from its newest order lines, by the same rule as the nightly job."""
    lines = load_lines(shop_id, newest=LIVE_BESTSELLER_LINES)
    best = bestsellers(lines)
    return [
        _Candidate(int(lines.product_ids[p]), "bestseller", float(units), int(buyers))
        for p, units, buyers in zip(best.product, best.units, best.buyers, strict=True)
    ]


def _finish(
    shop_id: int,
    candidates: list[_Candidate],
    never: set[int],
    owned: set[int],
    limit: int,
    settings: ModelSettings | None = None,
    staples: set[int] | None = None,
) -> list[Suggestion]:
    """Drop what must not be suggested, keep each product's best source, stop at ``limit``.

    ``never``: the products at hand (this order, the product being up-sold). ``owned``: what
    the customer bought before, suggested again only when ``settings.may_suggest_again``.
    """
    ids = {c.product_id for c in candidates}
    products = {p.id: p for p in ShopScope(shop_id).all(Product, Product.id.in_(ids), _available())}
    again = _may_suggest_again(products, owned, settings or ModelSettings(), staples or set())
    chosen: dict[int, Suggestion] = {}
    for c in candidates:
        product = products.get(c.product_id)
        if product is None or c.product_id in chosen:
            continue
        if c.product_id in never or (c.product_id in owned and c.product_id not in again):
            continue
        chosen[c.product_id] = _suggestion(product, c)
        if len(chosen) == limit:
            break
    return list(chosen.values())


def _may_suggest_again(
    products: dict[int, Product], owned: set[int], settings: ModelSettings, staples: set[int]
) -> set[int]:
    ids = sorted(owned & products.keys())
    allowed = settings.may_suggest_again(
        [products[p].category for p in ids], np.array([p in staples for p in ids], dtype=bool)
    )
    return {p for p, ok in zip(ids, allowed.tolist(), strict=True) if ok}


def _suggestion(product: Product, c: _Candidate) -> Suggestion:
    return Suggestion(
        product_id=product.id,
        platform_product_id=product.platform_product_id,
        title=product.title,
        url=product.url,
        image_url=product.image_url,
        price=product.price,
        category=product.category,
        source=c.source,
        score=c.score,
        support=c.support,
    )


def _available() -> sa.ColumnElement[bool]:
    return sa.and_(Product.status == "active", Product.in_stock.is_(True))


def _platform_id(ref: object) -> str:
    return str(ref).rsplit("/", 1)[-1]


def _product_ids(shop_id: int, platform_ids: list[str]) -> list[int]:
    """Our ids for the platform's product ids, in the order given, unknown ones skipped."""
    if not platform_ids:
        return []
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Product, Product.platform_product_id.in_(platform_ids))
        .with_only_columns(Product.platform_product_id, Product.id)
    ).all()
    by_platform = dict(rows)
    seen: dict[int, None] = {}
    for ref in platform_ids:
        if ref in by_platform:
            seen.setdefault(by_platform[ref], None)
    return list(seen)
