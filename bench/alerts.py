"""Price-drop alerts on a big shop: what a catalog sync batch costs with the alert on, and the
alert job's one query over the shop's views and carts.

A scratch database gets 10,000 products, ``customers`` consenting customers (default 200,000)
and ``events`` product views (default 2,000,000) over the last 30 days, every view keeping the
price it saw, plus one cart per 20 customers holding two products. Then, timed:

- a sync batch of 250 products at unchanged prices (the baseline: what the upsert cost before
  alerts), then the same 250 products 20 % cheaper with the price-drop alert on (the writer
  compares with the rows it held and the listener notes the news: one more SELECT and one
  INSERT per batch);
- the alert job's one query for those 250 products alone, then ``find_watchers``'s first job
  (the query, the ``product_alerts`` rows, and the runs of up to ``ENROLL_BATCH`` shoppers;
  the rest follow in jobs of their own).

    .venv/bin/python bench/alerts.py [events] [customers]
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from scratch import scratch_app, table, timed

from app.events import types as ev
from app.events.catalog import upsert_products
from app.flows import price_drop
from app.flows.engine.settings import save_settings, settings_for
from app.flows.watchers import find_watchers, watchers_query
from app.models import Shop, db, utcnow

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
CUSTOMERS = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
PRODUCTS = 10_000
BATCH = 250

GENERATE = [
    """
    INSERT INTO customers (id, shop_id, platform_customer_id, email, first_name, last_name,
        address, email_consent, sms_consent, order_count, total_spent, created_at, updated_at)
    SELECT i, :shop, i::text, 'c' || i || '@example.com', '', '', '{}', 'granted', 'unknown',
        0, 0, :now, :now
    FROM generate_series(1, :customers) AS i
    """,
    "SELECT setval('customers_id_seq', :customers)",
    """
    INSERT INTO storefront_events (shop_id, visitor_id, customer_id, kind, product_id,
        price_seen, occurred_at, received_at)
    SELECT :shop, 'v' || (i % :customers + 1), i % :customers + 1, 'product_viewed',
        (((i / :customers) * 7919 + (i % :customers) * 31) % :products + 1)::text, 100.00,
        :now - make_interval(mins => (i % 43000)::int), :now
    FROM generate_series(1, :events) AS i
    """,
    """
    INSERT INTO carts (shop_id, cart_key, customer_id, items, total, currency, status,
        platform_updated_at, created_at, updated_at)
    SELECT :shop, 'cart-' || i, i,
        json_build_array(
            json_build_object('product_id', ((i * 31) % :products + 1)::text,
                'unit_price', '100.00', 'quantity', 1),
            json_build_object('product_id', ((i * 37) % :products + 1)::text,
                'unit_price', '100.00', 'quantity', 1)),
        200, 'PLN', 'active', :now - interval '2 days', :now, :now
    FROM generate_series(1, :customers, 20) AS i
    """,
]


def _products(shop_id: int, first: int, count: int, price: str, at) -> list[ev.ProductChanged]:
    offer = ev.Offer(price=Decimal(price))
    return [
        ev.ProductChanged(
            shop_id=shop_id, product_id=str(n), title=f"P{n}", offer=offer, updated_at=at
        )
        for n in range(first, first + count)
    ]


def generate(shop_id: int) -> None:
    long_ago = utcnow() - timedelta(days=400)
    for first in range(1, PRODUCTS + 1, 1000):
        upsert_products(shop_id, _products(shop_id, first, 1000, "100.00", long_ago))
    params = {
        "shop": shop_id,
        "now": utcnow(),
        "customers": CUSTOMERS,
        "events": EVENTS,
        "products": PRODUCTS,
    }
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def sync_batch(shop_id: int, price: str, days_ago: int) -> int:
    at = utcnow() - timedelta(days=days_ago)
    written = len(upsert_products(shop_id, _products(shop_id, 1, BATCH, price, at)))
    db.session.commit()
    return written


def query_only(shop_id: int) -> int:
    """The alert job's one query for the batch's products, counted and rolled back."""
    products = [str(n) for n in range(1, BATCH + 1)]
    settings = settings_for(shop_id, price_drop.FLOW)
    found = watchers_query(shop_id, price_drop.KEY, products, utcnow(), settings).subquery()
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(found)) or 0)
    db.session.rollback()
    return count


def main() -> None:
    with scratch_app("storeflow_bench_alerts"):
        shop = Shop(platform="demo", domain="bench.example", name="Bench", status="active")
        shop.settings = {"address": "ul. Prosta 1, 00-001 Warszawa"}
        db.session.add(shop)
        db.session.commit()
        _, setup = timed(lambda: generate(shop.id))
        rows = [
            ("step", "products", "result", "seconds"),
            ("generate (not timed)", f"{PRODUCTS:,}", f"{EVENTS:,} views", f"{setup:.1f}"),
        ]
        sync_batch(shop.id, "100.00", 3)  # warm-up: the first statement compiles and caches
        baseline = timed(lambda: sync_batch(shop.id, "100.00", 2))
        rows.append(
            (
                "sync batch, prices unchanged",
                str(BATCH),
                f"{baseline[0]} written",
                f"{baseline[1]:.3f}",
            )
        )
        save_settings(shop.id, price_drop.FLOW, {"holdout_percent": 0}, enabled=True)
        db.session.commit()
        dropped = timed(lambda: sync_batch(shop.id, "80.00", 1))
        rows.append(
            (
                "sync batch, 20 % cheaper, alert on",
                str(BATCH),
                f"{dropped[0]} written",
                f"{dropped[1]:.3f}",
            )
        )
        query = timed(lambda: query_only(shop.id))
        rows.append(
            (
                "watchers query alone",
                str(BATCH),
                f"{query[0]:,} (shopper, product)",
                f"{query[1]:.2f}",
            )
        )
        told = timed(lambda: find_watchers(shop.id))
        rows.append(
            (
                "find_watchers, first job (query + runs)",
                str(BATCH),
                f"{told[0]:,} shoppers",
                f"{told[1]:.1f}",
            )
        )
        print(table(rows))


if __name__ == "__main__":
    main()
