"""Best send time on 1,000,000 customers: the nightly learning must take at most 60 s.

Customers, their orders and their sent emails are generated inside PostgreSQL with
generate_series in a scratch database: customer i has 0-6 orders over the last year and
3 emails, opened by two customers in three and clicked by one in nine, at hours that lean to
the customer's own evening or morning. Timed in the same run:

- the baseline: reading the opens, clicks and orders once (``count(*)`` of the same union);
- the counting statement alone (customer x local hour);
- the whole nightly job (count, blend, replace the shop's rows), first run and rerun;
- a step's lookup of one customer's hour (the engine's per-send read), 1,000 customers.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table, timed

from app.insights.send_time import LOOKBACK, activity_times, hour_counts, learn_send_times
from app.insights.send_time import preferred_hour as lookup
from app.models import Shop, db, utcnow
from app.models.sql import allow_large_sorts

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(1_000_000, 5_000)
LIMIT_SECONDS = 60.0

# Customer i leans to 20:00 UTC (odd) or 07:00 UTC (even), give or take a few hours.
GENERATE = [
    """
    INSERT INTO customers (id, shop_id, platform_customer_id, email, first_name, last_name,
        address, email_consent, sms_consent, order_count, total_spent, created_at, updated_at)
    SELECT i, :shop, i::text, 'c' || i || '@example.com', '', '', '{}', 'granted', 'unknown',
        0, 0, :now, :now
    FROM generate_series(1, :customers) AS i
    """,
    """
    INSERT INTO orders (shop_id, platform_order_id, customer_id, items, total, currency,
        cancelled, is_cod, shipping_address, refunds, refunded, placed_at, created_at, updated_at)
    SELECT :shop, i || '-' || j, i, '[]', 50, 'PLN', false, false, '{}', '{}', 0,
        date_trunc('day', :now) - make_interval(days => 1 + (i * 37 + j * 53) % 360,
            hours => 24 - (CASE WHEN i % 2 = 1 THEN 20 ELSE 7 END) + (i + j) % 3), :now, :now
    FROM generate_series(1, :customers) AS i,
        generate_series(0, ((i::bigint * 7919) % 7)::int - 1) AS j
    """,
    """
    INSERT INTO flow_runs (id, shop_id, flow_key, subject_key, customer_id, state, step,
        held_out, context, started_at, created_at, updated_at)
    SELECT i, :shop, 'cross_sell', 'customer:' || i, i, 'completed', 3, false, '{}',
        :now - interval '200 days', :now, :now
    FROM generate_series(1, :customers) AS i
    """,
    """
    INSERT INTO messages (shop_id, run_id, flow_key, step, channel, kind, customer_id,
        recipient, subject, status, idempotency_key, attempts, sent_at, opened_at, clicked_at,
        meta, created_at, updated_at)
    SELECT :shop, i, 'cross_sell', s, 'email', 'marketing', i, 'c@example.com', 'Hej', 'sent',
        'bench-' || i || '-' || s, 1, sent,
        CASE WHEN (i + s) % 3 <> 0 THEN sent + make_interval(hours => lean) END,
        CASE WHEN (i + s) % 9 = 0 THEN sent + make_interval(hours => lean, mins => 5) END,
        '{}', :now, :now
    FROM (
        SELECT i, s,
            date_trunc('day', :now) - make_interval(days => 10 + 60 * s + i % 50, hours => 15)
                AS sent,
            (CASE WHEN i % 2 = 1 THEN 11 ELSE 22 END) + (i + s) % 3 AS lean
        FROM generate_series(1, :customers) AS i, generate_series(0, 2) AS s
    ) AS m
    """,
    "SELECT setval('customers_id_seq', :customers)",
    "SELECT setval('flow_runs_id_seq', :customers)",
]


def generate(shop_id: int) -> None:
    params = {"shop": shop_id, "now": utcnow(), "customers": CUSTOMERS}
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def read_only(shop_id: int) -> int:
    """The baseline: every open, click and order of the year read once, nothing more."""
    events = activity_times(shop_id, utcnow() - LOOKBACK).subquery()
    count = int(db.session.scalar(sa.select(sa.func.count()).select_from(events)) or 0)
    db.session.rollback()
    return count


def count_only(shop_id: int) -> int:
    allow_large_sorts()  # as the nightly job does
    rows = len(db.session.execute(hour_counts(shop_id, "Europe/Warsaw", utcnow() - LOOKBACK)).all())
    db.session.rollback()
    return rows


def lookups(shop: Shop) -> int:
    step = max(1, CUSTOMERS // 1000)
    found = sum(lookup(shop, c) is not None for c in range(1, CUSTOMERS + 1, step))
    db.session.rollback()
    return found


def main() -> None:
    with scratch_app("send_times"):
        shop = Shop(platform="demo", domain="bench.example", status="active")
        shop.timezone = "Europe/Warsaw"
        db.session.add(shop)
        db.session.commit()
        shop_id = shop.id
        _, setup = timed(lambda: generate(shop_id))
        events, read_s = timed(lambda: read_only(shop_id))
        cells, count_s = timed(lambda: count_only(shop_id))
        first, first_s = timed(lambda: learn_send_times(shop_id))
        again, again_s = timed(lambda: learn_send_times(shop_id))
        shop = db.session.get(Shop, shop_id)
        assert shop is not None
        hours = db.session.execute(
            sa.text("SELECT hour, count(*) FROM preferred_hours GROUP BY hour ORDER BY 2 DESC")
        ).all()
        found, lookup_s = timed(lambda: lookups(shop))
        rows = [
            ("step", "customers", "result", "seconds", "limit", "ok"),
            ("generate (not timed)", f"{CUSTOMERS:,}", "", f"{setup:.1f}", "", ""),
            (
                "baseline: read the union once",
                f"{CUSTOMERS:,}",
                f"{events:,} events",
                f"{read_s:.1f}",
                "",
                "",
            ),
            (
                "count by customer and local hour",
                f"{CUSTOMERS:,}",
                f"{cells:,} cells",
                f"{count_s:.1f}",
                "",
                "",
            ),
        ]
        for step, result, seconds in (
            ("nightly learning, first run", f"{first['customers']:,} hours", first_s),
            ("nightly learning, rerun", f"{again['customers']:,} hours", again_s),
        ):
            ok = "yes" if seconds <= LIMIT_SECONDS else "NO"
            rows.append((step, f"{CUSTOMERS:,}", result, f"{seconds:.1f}", "60", ok))
        rows.append(
            ("one customer's hour x 1,000", "", f"{found:,} found", f"{lookup_s:.2f}", "", "")
        )
        print(table(rows))
        top = ", ".join(f"{h}:00 {n:,}" for h, n in hours[:4])
        print(f"\nmost common learned hours (Warsaw): {top}")
        print(f"the shop's hour (Warsaw): {shop.send_time_prior.hour}:00")
        report(
            f"send times: nightly learning ({CUSTOMERS:,} customers)",
            f"{first_s:.1f} s",
            "<= 60 s",
            first_s <= LIMIT_SECONDS and again_s <= LIMIT_SECONDS,
            f"read once {read_s:.1f} s; rerun {again_s:.1f} s",
        )


if __name__ == "__main__":
    main()
