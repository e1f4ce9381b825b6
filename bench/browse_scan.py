"""Browse-abandonment scan over 10,000,000 storefront events of 1,000,000 customers: at most 30 s.

Events are generated inside PostgreSQL with generate_series in a scratch database, spread
evenly over the 90 days a shop keeps them (so the scan's 72-hour window holds about 3.3 % of
them): event i is customer i mod 1,000,000 looking at another of 5,000 products each time,
a customer's ten views 7 minutes apart around a time of their own, and every 50th customer
looking at the same product each time. The first scan records what it
finds; a second one right after finds nothing new.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table, timed

from app.insights.browsing import BrowseSettings, browse_query, browse_statement
from app.models import Shop, db, utcnow

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(10_000_000, 50_000)
CUSTOMERS = int(sys.argv[2]) if len(sys.argv) > 2 else sized(1_000_000, 5_000)
LIMIT_SECONDS = 30.0
MINUTES_KEPT = 90 * 24 * 60

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
        occurred_at, received_at)
    SELECT :shop, 'v' || (i % :customers + 1), i % :customers + 1, 'product_viewed',
        CASE WHEN (i % :customers) % 50 = 0 THEN '1'
            ELSE (((i / :customers) * 7919 + (i % :customers) * 31) % 5000)::text END,
        :now - make_interval(
            mins => 300 + (((i % :customers) * 131 + (i / :customers) * 7) % :minutes)::int),
        :now
    FROM generate_series(1, :events) AS i
    """,
]


def generate(shop_id: int) -> None:
    params = {
        "shop": shop_id,
        "now": utcnow(),
        "customers": CUSTOMERS,
        "events": EVENTS,
        "minutes": MINUTES_KEPT,
    }
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def find_only(shop_id: int) -> int:
    found = browse_query(shop_id, utcnow(), BrowseSettings()).subquery()
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(found)) or 0)
    db.session.rollback()
    return count


def scan(shop_id: int) -> int:
    found = len(db.session.execute(browse_statement(shop_id, utcnow(), BrowseSettings())).all())
    db.session.commit()
    return found


def main() -> None:
    with scratch_app("browse"):
        shop = Shop(platform="demo", domain="bench.example", status="active")
        db.session.add(shop)
        db.session.commit()
        _, setup = timed(lambda: generate(shop.id))
        rows = [
            ("step", "events", "customers", "result", "seconds", "limit", "ok"),
            ("generate (not timed)", f"{EVENTS:,}", f"{CUSTOMERS:,}", "", f"{setup:.1f}", "", ""),
        ]
        timings = {}
        for step, (result, seconds) in (
            ("browse query, find only", timed(lambda: find_only(shop.id))),
            ("browse scan, first run", timed(lambda: scan(shop.id))),
            ("browse scan, rerun", timed(lambda: scan(shop.id))),
        ):
            ok = "yes" if seconds <= LIMIT_SECONDS else "NO"
            timings[step] = seconds
            rows.append(
                (
                    step,
                    f"{EVENTS:,}",
                    f"{CUSTOMERS:,}",
                    f"{result:,} (customer, product)",
                    f"{seconds:.1f}",
                    "30",
                    ok,
                )
            )
        print(table(rows))
        first = timings["browse scan, first run"]
        report(
            f"browse scan ({EVENTS:,} events)",
            f"{first:.1f} s",
            "<= 30 s",
            first <= LIMIT_SECONDS,
            f"rerun {timings['browse scan, rerun']:.1f} s",
        )


if __name__ == "__main__":
    main()
