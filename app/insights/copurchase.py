"""Item-to-item co-purchase model: which products the same customers buy.

Pure NumPy/SciPy, no database: ``fit`` takes (basket, product) pairs and returns, for every
product, its best partners scored by cosine similarity. A basket is a customer (or a guest
order), so "bought together by 37 customers" counts people, not line items.

Cosine, not lift: lift rewards pairs of rare products (two products bought once, by the same
person, get the highest lift there is); cosine grows with the number of shared customers and
is only tempered by popularity. ``min_support`` still keeps one odd basket from deciding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Pairs:
    """Top partners per product, as parallel arrays sorted by (product, rank)."""

    product: IntArray
    partner: IntArray
    score: FloatArray
    support: IntArray
    rank: IntArray

    def __len__(self) -> int:
        return int(self.product.size)


def binary_matrix(rows: IntArray, cols: IntArray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """1 where (row, col) occurs at least once: buying twice is still one purchase."""
    matrix = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)
    matrix.data[:] = 1.0  # duplicates were summed by the constructor
    return matrix


def basket_matrix(baskets: IntArray, products: IntArray) -> sparse.csr_matrix:
    """A binary baskets x products matrix."""
    _, rows = np.unique(baskets, return_inverse=True)
    n_rows = int(rows.max()) + 1 if rows.size else 0
    return binary_matrix(rows, products, (n_rows, int(products.max(initial=-1)) + 1))


def similarity(matrix: sparse.csr_matrix, min_support: int) -> tuple[sparse.coo_matrix, IntArray]:
    """Cosine similarity between products that share at least ``min_support`` baskets.

    Returns the similarity (diagonal removed) and, aligned with its entries, the shared counts.
    """
    counts = (matrix.T @ matrix).tocoo()
    keep = (counts.row != counts.col) & (counts.data >= min_support)
    rows, cols, shared = counts.row[keep], counts.col[keep], counts.data[keep]
    popularity = np.asarray(matrix.sum(axis=0)).ravel()
    scores = shared / np.sqrt(popularity[rows] * popularity[cols])
    shape = counts.shape
    return sparse.coo_matrix((scores, (rows, cols)), shape=shape), shared.astype(np.int64)


def top_partners(sim: sparse.coo_matrix, shared: IntArray, per_product: int) -> Pairs:
    """Keep each product's ``per_product`` best partners; ties go to the more shared pair."""
    order = np.lexsort((sim.col, -shared, -sim.data, sim.row))
    rows, cols = sim.row[order].astype(np.int64), sim.col[order].astype(np.int64)
    scores, support = sim.data[order], shared[order]
    starts = np.searchsorted(rows, rows, side="left")
    rank = np.arange(rows.size, dtype=np.int64) - starts
    keep = rank < per_product
    return Pairs(rows[keep], cols[keep], scores[keep], support[keep], rank[keep] + 1)


def fit(baskets: IntArray, products: IntArray, *, min_support: int, per_product: int) -> Pairs:
    """Learn each product's top partners from (basket, product index) pairs."""
    if products.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, np.zeros(0), empty, empty)
    matrix = basket_matrix(baskets, products)
    sim, shared = similarity(matrix, min_support)
    return top_partners(sim, shared, per_product)


def as_matrix(pairs: Pairs, n_products: int) -> sparse.csr_matrix:
    """The kept partners as a products x products score matrix (for scoring many baskets)."""
    return sparse.csr_matrix(
        (pairs.score, (pairs.product, pairs.partner)), shape=(n_products, n_products)
    )


def fit_view_purchase(
    view_customers: IntArray,
    view_products: IntArray,
    buy_customers: IntArray,
    buy_products: IntArray,
    n_products: int,
    *,
    min_support: int,
    per_product: int,
) -> Pairs:
    """Learn, for each viewed product, the products its viewers bought: a pair (p, q) counts the
    customers who looked at p and bought q, scored by cosine between p's viewers and q's buyers.

    A product with its own buyers is no pair (looking at it and buying it is the product blocks'
    "you looked at" business, not a suggestion of something else)."""
    if view_products.size == 0 or buy_products.size == 0:
        return fit(view_products[:0], view_products[:0], min_support=1, per_product=1)
    people, rows = np.unique(np.concatenate([view_customers, buy_customers]), return_inverse=True)
    shape = (people.size, n_products)
    viewed = binary_matrix(rows[: view_customers.size], view_products, shape)
    bought = binary_matrix(rows[view_customers.size :], buy_products, shape)
    counts = (viewed.T @ bought).tocoo()
    keep = (counts.row != counts.col) & (counts.data >= min_support)
    rows_, cols, shared = counts.row[keep], counts.col[keep], counts.data[keep]
    viewers = np.asarray(viewed.sum(axis=0)).ravel()
    buyers = np.asarray(bought.sum(axis=0)).ravel()
    scores = shared / np.sqrt(viewers[rows_] * buyers[cols])
    sim = sparse.coo_matrix((scores, (rows_, cols)), shape=(n_products, n_products))
    return top_partners(sim, shared.astype(np.int64), per_product)
