"""Idle scan on 1,000,000 customers: the one-statement query must take at most 30 s.

Customers and their orders are generated inside PostgreSQL with generate_series in a scratch
database: customer i has 0-6 orders, a gap of 10-129 days between them, and a last order
0-399 days ago; 5% were already reported idle 100 days ago (in cooldown). The first scan of
a shop reports everyone idle at once; the daily scans after it only the few new ones, so
both are timed. RFM scoring of the same customers is timed too.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table, timed

from app.insights.idle import IdleSettings, idle_query, idle_statement
from app.insights.segments import score_customers
from app.models import Shop, db, utcnow
from app.models.sql import allow_large_sorts

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(1_000_000, 5_000)
LIMIT_SECONDS = 30.0

# Customer i: n orders, ``gap`` days apart, the last one ``last`` days ago.
RHYTHM = """
    SELECT i, ((i::bigint * 7919) % 7)::int AS n, (10 + (i * 31) % 120)::int AS gap,
        ((i * 17) % 400)::int AS last
    FROM generate_series(1, :customers) AS i
"""
GENERATE = [
    f"""
    INSERT INTO customers (id, shop_id, platform_customer_id, email, first_name, last_name,
        address, email_consent, sms_consent, order_count, total_spent, first_order_at,
        last_order_at, created_at, updated_at)
    SELECT i, :shop, i::text, 'c' || i || '@example.com', '', '', '{{}}', 'granted', 'unknown',
        n, 50 * n,
        CASE WHEN n > 0 THEN :now - make_interval(days => last + (n - 1) * gap) END,
        CASE WHEN n > 0 THEN :now - make_interval(days => last) END,
        :now, :now
    FROM ({RHYTHM}) AS r
    """,
    f"""
    INSERT INTO orders (shop_id, platform_order_id, customer_id, items, total, currency,
        cancelled, is_cod, shipping_address, placed_at, paid_at, refunds, refunded, created_at,
        updated_at)
    SELECT :shop, i || '-' || j, i, '[]', 50, 'PLN', false, false, '{{}}',
        :now - make_interval(days => last + j * gap), :now - make_interval(days => last + j * gap),
        '{{}}', 0, :now, :now
    FROM ({RHYTHM}) AS r, generate_series(0, n - 1) AS j
    """,
    """
    INSERT INTO idle_emissions (shop_id, customer_id, last_order_at, emitted_at)
    SELECT :shop, i, :now - interval '300 days', :now - interval '100 days'
    FROM generate_series(20, :customers, 20) AS i
    """,
    "SELECT setval('customers_id_seq', :customers)",
]


def generate(shop_id: int) -> None:
    params = {"shop": shop_id, "now": utcnow(), "customers": CUSTOMERS}
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def scan(shop_id: int, days_later: int) -> int:
    now = utcnow() + timedelta(days=days_later)
    allow_large_sorts()  # as the daily job does
    stmt = idle_statement(shop_id, now, IdleSettings(), "postgresql")
    found = len(db.session.execute(stmt).all())
    db.session.commit()
    return found


def rescore(shop_id: int) -> int:
    allow_large_sorts()  # as the daily job does
    changed = score_customers(shop_id, utcnow())
    db.session.commit()
    return changed


def find_only(shop_id: int) -> int:
    """The finding part alone, without recording anyone (to show what recording costs)."""
    allow_large_sorts()
    found = idle_query(shop_id, utcnow(), IdleSettings(), "postgresql").subquery()
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(found)) or 0)
    db.session.rollback()
    return count


def main() -> None:
    with scratch_app("idle"):
        shop = Shop(platform="demo", domain="bench.example", status="active")
        db.session.add(shop)
        db.session.commit()
        _, setup = timed(lambda: generate(shop.id))
        orders = db.session.scalar(sa.text("SELECT count(*) FROM orders"))
        found, found_s = timed(lambda: find_only(shop.id))
        first, first_s = timed(lambda: scan(shop.id, 0))
        daily, daily_s = timed(lambda: scan(shop.id, 1))
        scored, rfm_s = timed(lambda: rescore(shop.id))
        rescored, rerfm_s = timed(lambda: rescore(shop.id))
        rows = [
            ("step", "customers", "orders", "result", "seconds", "limit", "ok"),
            ("generate (not timed)", f"{CUSTOMERS:,}", f"{orders:,}", "", f"{setup:.1f}", "", ""),
        ]
        for step, result, seconds in (
            ("idle query, find only", f"{found:,} idle", found_s),
            ("idle scan, first run", f"{first:,} idle", first_s),
            ("idle scan, next day", f"{daily:,} idle", daily_s),
        ):
            ok = "yes" if seconds <= LIMIT_SECONDS else "NO"
            rows.append((step, f"{CUSTOMERS:,}", f"{orders:,}", result, f"{seconds:.1f}", "30", ok))
        for step, result, seconds in (
            ("RFM scores, first run", f"{scored:,} scored", rfm_s),
            ("RFM scores, rerun", f"{rescored:,} changed", rerfm_s),
        ):
            rows.append((step, f"{CUSTOMERS:,}", f"{orders:,}", result, f"{seconds:.1f}", "", ""))
        print(table(rows))
        report(
            f"idle scan, first run ({CUSTOMERS:,} customers)",
            f"{first_s:.1f} s",
            "<= 30 s",
            first_s <= LIMIT_SECONDS,
            f"next day {daily_s:.1f} s",
        )
        report(
            f"RFM scores ({CUSTOMERS:,} customers)",
            f"{rfm_s:.1f} s",
            "<= 30 s",
            rfm_s <= LIMIT_SECONDS,
            f"rerun {rerfm_s:.1f} s",
        )


if __name__ == "__main__":
    main()
