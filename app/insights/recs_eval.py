"""The backtest: would the suggestions an email makes have been bought, on this shop's orders?

An honest time split: everything is learned from the orders before a cutoff (``test_days``
before the shop's newest order), and tested on the customers who ordered both before and
after it. Each customer is one test case; what they bought after the cutoff is the target.

It evaluates what each email does, not a stand-in:
- ``order`` (cross-sell, ``recommend_for_order``): the seed is the customer's last order
  before the cutoff; its products are never suggested, other owned products only when they may
  be bought again (``ModelSettings.may_suggest_again``).
- ``customer`` (win-back, ``recommend_for_customer``): the seed is everything they bought.

The served ranking is the same tiers as ``recommendations.py`` — learned pairs, then the
customer's own staples, then bestsellers — with four sources of pairs on the same window:
``co_purchase`` (ours, from orders only), ``views_aware`` (the same pairs, plus what the
customer looked at before the cutoff through view -> purchase pairs learned from the training
customers' stored views: ``copurchase.fit_view_purchase``), ``item_knn`` (``implicit``'s
item-kNN, a well-kept library's cosine neighbours, as a fair outside baseline) and
``bestsellers`` (no pairs: what a shop gets when the evidence does not favour a model). The
views-aware model is compared with the order-only one on the same test customers
(``Backtest.versus("views_aware", "co_purchase")``); a shop without stored views scores the
two the same. Merchant picks and stock are left out: this measures
what the orders teach, against the past as it was.

Per method: hit@5 (a suggestion was bought), precision@5, recall@5, coverage (share of the
products sold in training that anyone is shown) and, against bestsellers, the paired
difference in hit rate with a 95 % normal interval over the same test cases.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from implicit.nearest_neighbours import CosineRecommender
from implicit.utils import ParameterWarning
from scipy import sparse

from app.insights import copurchase
from app.insights.history import DAY, Lines, bestsellers, load_lines, repurchase
from app.insights.knobs import ModelSettings
from app.insights.viewing import Views, load_views
from app.models import Product, Shop, ShopScope, db

TOP_K = 5
TEST_DAYS = 60
VARIANTS = ("order", "customer")
METHODS = ("co_purchase", "views_aware", "item_knn", "bestsellers")
LABELS = {
    "co_purchase": "co-purchase",
    "views_aware": "views-aware",  # co-purchase, plus what the customer looked at
    "item_knn": "item-kNN (implicit)",
    "bestsellers": "bestsellers",
}
EMAILS = {
    "order": "cross-sell (recommend_for_order)",
    "customer": "win-back (recommend_for_customer)",
}
KNN_NEIGHBOURS = 20
CHUNK_CELLS = 4_000_000
# Tier offsets of the served ranking (see ``recommendations._recommend``): any learned pair
# ranks above any staple, any staple above any bestseller.
PAIR_TIER, STAPLE_TIER = 2e6, 1e6

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class MethodResult:
    method: str
    cases: int
    hit_rate: float
    precision: float
    recall: float
    coverage: float
    hits: BoolArray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Paired:
    """Difference in hit rate (method minus baseline) over the same cases, 95 % interval."""

    diff: float
    low: float
    high: float


@dataclass(frozen=True)
class Backtest:
    variant: str
    test_days: int
    cases: int
    results: dict[str, MethodResult]

    def versus(self, method: str, baseline: str = "bestsellers") -> Paired:
        return paired(self.results[method].hits, self.results[baseline].hits)


def paired(a: BoolArray | FloatArray, b: BoolArray | FloatArray) -> Paired:
    """Mean of the per-case differences a - b (hits, or shares), with its 95 % interval."""
    d = a.astype(np.float64) - b.astype(np.float64)
    if d.size < 2:
        return Paired(float(d.mean()) if d.size else 0.0, -1.0, 1.0)
    mean, half = float(d.mean()), 1.96 * float(d.std(ddof=1)) / np.sqrt(d.size)
    return Paired(mean, mean - half, mean + half)


def evaluate_shop(shop_id: int, variant: str = "order", test_days: int = TEST_DAYS) -> Backtest:
    """The backtest of one shop, from its stored orders."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop with id {shop_id}")
    lines = load_lines(shop_id)
    settings = ModelSettings.for_shop(shop)
    views = load_views(shop_id, lines)
    return backtest(lines, settings, categories(shop_id, lines), variant, test_days, views)


def categories(shop_id: int, lines: Lines) -> list[str | None]:
    """Each product index's category."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Product, Product.id.in_(lines.product_ids.tolist()))
        .with_only_columns(Product.id, Product.category)
    ).all()
    by_id = dict(rows)
    return [by_id.get(int(pid)) for pid in lines.product_ids]


@dataclass(frozen=True)
class Learned:
    """What the emails' ranking needs, learned from the training lines only."""

    pairs: dict[str, sparse.csr_matrix]  # per method: products x products pair scores
    view_pairs: sparse.csr_matrix  # viewed product x bought product (views_aware only)
    staple_score: FloatArray  # share of buyers who rebuy, for staples that may come back
    best: FloatArray  # bestseller scores
    rebuy: BoolArray  # may be suggested again to a customer who owns it
    sold: int  # products sold in training


@dataclass(frozen=True)
class Cases:
    """One row per test customer: what the email starts from and must leave out."""

    customers: npt.NDArray[np.int64]
    owned: sparse.csr_matrix  # bought before the cutoff
    seed: sparse.csr_matrix
    never: sparse.csr_matrix
    viewed: sparse.csr_matrix  # what each looked at before the cutoff (views_aware's seed)


def learn(
    train: Lines,
    settings: ModelSettings,
    product_categories: Sequence[str | None],
    views: Views | None = None,
) -> Learned:
    n = train.n_products
    rep = repurchase(train)
    rebuy = settings.may_suggest_again(product_categories, rep.staple)
    co_purchase = copurchase.as_matrix(
        copurchase.fit(
            train.basket,
            train.product,
            min_support=settings.min_support,
            per_product=settings.per_product,
        ),
        n,
    )
    pairs = {
        "co_purchase": co_purchase,
        "views_aware": co_purchase,
        "item_knn": _knn_similarity(train, n),
        "bestsellers": sparse.csr_matrix((n, n)),
    }
    return Learned(
        pairs,
        view_purchase_matrix(views or Views.none(), train, settings),
        np.where(rep.staple & rebuy, rep.share, 0.0),
        bestsellers(train).scores(n),
        rebuy,
        int(np.unique(train.product).size),
    )


def view_purchase_matrix(views: Views, train: Lines, settings: ModelSettings) -> sparse.csr_matrix:
    """The view -> purchase pairs of ``views`` and the known customers of ``train``."""
    known = train.where(train.basket > 0)
    pairs = copurchase.fit_view_purchase(
        views.customer,
        views.product,
        known.basket,
        known.product,
        train.n_products,
        min_support=settings.min_support,
        per_product=settings.per_product,
    )
    return copurchase.as_matrix(pairs, train.n_products)


def cases(
    train: Lines, customers: npt.NDArray[np.int64], variant: str, views: Views | None = None
) -> Cases:
    """``order``: the seed is each customer's last order in ``train``; ``customer``: all of it.
    ``viewed``: the products each looked at in ``views`` (those before the cutoff)."""
    shape = (customers.size, train.n_products)
    t = train.where(np.isin(train.basket, customers))
    row = np.searchsorted(customers, t.basket)
    owned = copurchase.binary_matrix(row, t.product, shape)
    views = views or Views.none()
    seen = views.where(np.isin(views.customer, customers))
    viewed = copurchase.binary_matrix(
        np.searchsorted(customers, seen.customer), seen.product, shape
    )
    if variant == "customer":
        return Cases(customers, owned, owned, sparse.csr_matrix(shape), viewed)
    o = np.lexsort((t.order, t.at, row))
    ends = o[np.append(row[o][1:] != row[o][:-1], True)]
    last = np.zeros(customers.size, dtype=np.int64)
    last[row[ends]] = t.order[ends]
    in_seed = t.order == last[row]
    seed = copurchase.binary_matrix(row[in_seed], t.product[in_seed], shape)
    return Cases(customers, owned, seed, seed, viewed)


def ranked(
    learned: Learned, found: Cases, method: str, k: int = TOP_K
) -> Iterator[tuple[slice, npt.NDArray[np.int64], BoolArray]]:
    """Per chunk of cases: the rows, each case's ``k`` picks (product indexes) and which of
    them are shown at all — the emails' ranking, in matrix form."""
    cases_n, n = found.owned.shape
    k = min(k, n)
    for part in _chunks(cases_n, n):
        pair_score = found.seed[part] @ learned.pairs[method]
        if method == "views_aware":
            pair_score = pair_score + found.viewed[part] @ learned.view_pairs
        key = rank_keys(
            pair_score.toarray(),
            learned.staple_score,
            learned.best,
            found.owned[part].toarray() > 0,
            found.never[part].toarray() > 0,
            learned.rebuy,
        )
        top, valid = top_k(key, k)
        yield part, top, valid


def backtest(
    lines: Lines,
    settings: ModelSettings,
    product_categories: Sequence[str | None],
    variant: str = "order",
    test_days: int = TEST_DAYS,
    views: Views | None = None,
) -> Backtest:
    """The time split: learn (orders and views) before the cutoff, test after it."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    cutoff = (lines.at.max() if lines.at.size else 0.0) - test_days * DAY
    train, test = lines.where(lines.at < cutoff), lines.where(lines.at >= cutoff)
    customers = np.intersect1d(train.basket[train.basket > 0], test.basket[test.basket > 0])
    if customers.size == 0:
        none = np.zeros(0, dtype=bool)
        empty = {m: MethodResult(m, 0, 0.0, 0.0, 0.0, 0.0, none) for m in METHODS}
        return Backtest(variant, test_days, 0, empty)
    views = views or Views.none()
    before = views.where(views.at < cutoff)
    learned = learn(train, settings, product_categories, before)
    found = cases(train, customers, variant, before)
    tested = test.where(np.isin(test.basket, customers))
    target = copurchase.binary_matrix(
        np.searchsorted(customers, tested.basket), tested.product, found.owned.shape
    )
    # Without views the views-aware ranking is the order-only one: scored once.
    same = learned.view_pairs.nnz == 0 or found.viewed.nnz == 0
    scored = [m for m in METHODS if not (same and m == "views_aware")]
    results = {m: _score(m, learned, found, target) for m in scored}
    if same:
        results["views_aware"] = replace(results["co_purchase"], method="views_aware")
    return Backtest(variant, test_days, int(customers.size), results)


def _knn_similarity(train: Lines, n: int) -> sparse.csr_matrix:
    """``implicit``'s cosine item-kNN on the same training baskets, self-similarity removed."""
    if train.basket.size == 0:
        return sparse.csr_matrix((n, n))
    matrix = copurchase.basket_matrix(train.basket, train.product)
    matrix = sparse.csr_matrix(matrix, shape=(matrix.shape[0], n), dtype=np.float32)
    model = CosineRecommender(K=KNN_NEIGHBOURS)
    with warnings.catch_warnings():
        # Its cosine path transposes our CSR input itself, then warns that it is not CSR.
        warnings.simplefilter("ignore", ParameterWarning)
        model.fit(matrix, show_progress=False)
    similarity = sparse.csr_matrix(model.similarity, dtype=np.float64)
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


def rank_keys(
    pair_score: FloatArray,
    staple_score: FloatArray,
    best: FloatArray,
    owned: BoolArray,
    never: BoolArray,
    rebuy: BoolArray,
) -> FloatArray:
    """The served order as one number per (case, product); -inf is never shown."""
    key = np.where(best > 0, best, -np.inf)
    key = np.where(owned & (staple_score > 0), STAPLE_TIER + staple_score, key)
    key = np.where(pair_score > 0, PAIR_TIER + pair_score, key)
    key[never | (owned & ~rebuy)] = -np.inf
    return key


def top_k(key: FloatArray, k: int) -> tuple[npt.NDArray[np.int64], BoolArray]:
    """Column indexes of each row's ``k`` best keys, ties to the lower index (the lower
    product id, as the live query orders them), and whether each is shown at all."""
    width = min(key.shape[1], k + 8)
    part = np.argpartition(-key, width - 1, axis=1)[:, :width]
    values = np.take_along_axis(key, part, axis=1)
    order = np.lexsort((part, -values), axis=1)[:, :k]
    top = np.take_along_axis(part, order, axis=1)
    return top, np.isfinite(np.take_along_axis(key, top, axis=1))


def _chunks(rows: int, cols: int) -> Iterator[slice]:
    step = max(1, CHUNK_CELLS // max(cols, 1))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _score(method: str, learned: Learned, found: Cases, target: sparse.csr_matrix) -> MethodResult:
    cases_n, n = target.shape
    k = min(TOP_K, n)
    hits = np.zeros(cases_n, dtype=bool)
    precision = np.zeros(cases_n)
    recall = np.zeros(cases_n)
    shown = np.zeros(n, dtype=bool)
    for part, top, valid in ranked(learned, found, method, k):
        bought = target[part].toarray() > 0
        got = (np.take_along_axis(bought, top, axis=1) & valid).sum(axis=1)
        hits[part] = got > 0
        precision[part] = got / k
        recall[part] = got / np.maximum(bought.sum(axis=1), 1)
        shown[top[valid]] = True
    return MethodResult(
        method,
        cases_n,
        float(hits.mean()),
        float(precision.mean()),
        float(recall.mean()),
        float(shown.sum()) / max(learned.sold, 1),
        hits,
    )


def format_table(result: Backtest) -> str:
    """One row per method, the paired difference against bestsellers on the same cases."""
    email = EMAILS[result.variant]
    title = f"{email}: last {result.test_days} days, {result.cases} test customers"
    header = (
        f"{'method':<22}{'cases':>7}{'hit@5':>8}{'prec@5':>8}{'recall@5':>10}{'coverage':>10}"
        "  vs bestsellers (95% CI)"
    )
    lines = [title, header]
    for method in METHODS:
        r = result.results[method]
        versus = ""
        if method != "bestsellers" and result.cases:
            versus = _interval(result.versus(method))
        lines.append(
            f"{LABELS[method]:<22}{r.cases:>7}{r.hit_rate:>8.1%}{r.precision:>8.1%}"
            f"{r.recall:>10.1%}{r.coverage:>10.1%}{versus}"
        )
    if result.cases:
        views = _interval(result.versus("views_aware", "co_purchase"))
        lines.append(f"views-aware vs co-purchase alone (95% CI):{views}")
    return "\n".join(lines)


def _interval(p: Paired) -> str:
    return f"  {p.diff:+.1%} ({p.low:+.1%} to {p.high:+.1%})"
