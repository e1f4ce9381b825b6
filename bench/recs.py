"""The recommendations backtest on 1,000,000 order lines: each must take at most 60 s.

A scratch PostgreSQL database gets a generated shop: 5,000 products in themes of ten, 200,000
customers who each favour one theme, ~400,000 orders of 1-4 lines over a year (70% from the
customer's theme, the rest from a popularity-skewed catalog), a tenth of them guest orders.
Timed: the nightly refresh (load, fit, both emails' backtests, the idle backtest, store) and
each email's backtest alone (load, learn on the time split, score co-purchase, implicit's
item-kNN and bestsellers). The backtest tables follow, with the bestseller baseline and the
paired interval measured in the same run on the same test customers.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table, timed

from app.insights import idle_eval
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recs_eval import evaluate_shop, format_table
from app.models import Shop, db, utcnow

LINES = int(sys.argv[1]) if len(sys.argv) > 1 else sized(1_000_000, 10_000)
PRODUCTS, THEME = 5_000, 10
CUSTOMERS = LINES // 5
LIMIT_SECONDS = 60.0

GENERATE = [
    "SELECT setseed(0.42)",
    """
    INSERT INTO products (shop_id, platform_product_id, title, category, status, price,
        in_stock, cross_sell_ids, upsell_ids, extra, created_at, updated_at)
    SELECT :shop, p::text, 'Product ' || p, 'Theme ' || (p - 1) / :theme, 'active', 10 + p % 90,
        true, '[]', '[]', '{}', :now, :now
    FROM generate_series(1, :products) AS p
    """,
    """
    INSERT INTO customers (id, shop_id, platform_customer_id, first_name, last_name, address,
        email_consent, sms_consent, order_count, total_spent, created_at, updated_at)
    SELECT c, :shop, c::text, '', '', '{}', 'unknown', 'unknown', 0, 0, :now, :now
    FROM generate_series(1, :customers) AS c
    """,
    """
    INSERT INTO orders (shop_id, platform_order_id, customer_id, items, total, currency,
        cancelled, is_cod, shipping_address, placed_at, paid_at, refunds, refunded, created_at,
        updated_at)
    SELECT :shop, n::text,
        CASE WHEN n % 10 = 0 THEN NULL ELSE 1 + floor(power(random(), 2) * :customers)::int END,
        '[]', 100, 'PLN', false, false, '{}', at, at, '{}', 0, :now, :now
    FROM (SELECT n, :now - make_interval(secs => random() * 365 * 86400) AS at
          FROM generate_series(1, :orders) AS n) AS g
    """,
    """
    INSERT INTO order_lines (shop_id, order_id, platform_product_id, quantity, unit_price,
        placed_at)
    SELECT :shop, o.id,
        (CASE WHEN random() < 0.7
            THEN (COALESCE(o.customer_id, o.id) * 7 % (:products / :theme)) * :theme
                 + floor(random() * :theme)::int + 1
            ELSE floor(power(random(), 3) * :products)::int + 1 END)::text,
        1, 10, o.placed_at
    FROM orders o, generate_series(1, 1 + (o.id * 13) % 4) AS k
    """,
    "SELECT setval('customers_id_seq', :customers)",
]


def generate(shop_id: int) -> int:
    params = {
        "shop": shop_id,
        "now": utcnow(),
        "products": PRODUCTS,
        "theme": THEME,
        "customers": CUSTOMERS,
        "orders": LINES * 2 // 5,
    }
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    return int(db.session.scalar(sa.text("SELECT count(*) FROM order_lines")) or 0)


def main() -> None:
    with scratch_app("recs"):
        shop = Shop(platform="demo", domain="bench.example", status="active")
        db.session.add(shop)
        db.session.commit()
        lines, setup = timed(lambda: generate(shop.id))
        stored, refresh_s = timed(lambda: refresh_recommendations(shop.id))
        cross_sell, cross_s = timed(lambda: evaluate_shop(shop.id, "order"))
        win_back, win_s = timed(lambda: evaluate_shop(shop.id, "customer"))
        idle, idle_s = timed(lambda: idle_eval.idle_backtest(*idle_eval.order_times(shop.id)))
        serves = db.session.get(Shop, shop.id).recommendation_evidence.method
        print(
            table(
                [
                    ("step", "order lines", "result", "seconds", "limit", "ok"),
                    ("generate (not timed)", f"{lines:,}", "", f"{setup:.1f}", "", ""),
                    _row("nightly refresh (all of it)", lines, f"serves {serves}", refresh_s),
                    _row("backtest cross-sell", lines, f"{cross_sell.cases:,} cases", cross_s),
                    _row("backtest win-back", lines, f"{win_back.cases:,} cases", win_s),
                    _row("backtest idle rules", lines, f"{idle.customers:,} customers", idle_s),
                ]
            )
        )
        print()
        print(format_table(cross_sell))
        print()
        print(format_table(win_back))
        print()
        print(idle_eval.format_table(idle))
        print(f"\nstored: {stored}")
        slowest = max(refresh_s, cross_s, win_s, idle_s)
        report(
            f"recs: nightly refresh and backtests ({lines:,} lines)",
            f"refresh {refresh_s:.1f} s, slowest {slowest:.1f} s",
            "<= 60 s each",
            slowest <= LIMIT_SECONDS,
        )


def _row(step: str, lines: int, result: str, seconds: float) -> tuple[str, ...]:
    ok = "yes" if seconds <= LIMIT_SECONDS else "NO"
    return (step, f"{lines:,}", result, f"{seconds:.1f}", f"{LIMIT_SECONDS:.0f}", ok)


if __name__ == "__main__":
    main()
