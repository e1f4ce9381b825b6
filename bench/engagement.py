"""Engagement scores on 1,000,000 customers: the daily score must take at most 60 s.

Generated inside PostgreSQL with generate_series in a scratch database (the server from
STOREFLOW_BENCH_DATABASE_URL): customer i has 0-6 orders, the last one 0-399 days ago, was
created 0-699 days ago; 300,000 emails went out over the last 120 days (a third opened, one in
seven clicked) and 1,000,000 product views came in over the last 40 days (three in four from
known customers); the shop tracks its storefront, so all five parts count.

Timed, in the same run: the RFM scores first (the baseline: the same daily scan runs them just
before), then the engagement score's first run (every customer inserted, every stage move
recorded), a rerun the next day (only what changed is written), one 40 days later (many
customers crossed a recency step) and the staff-alert rules that read the scores.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table, timed

from app.insights.alerts import DAILY_KINDS, raise_alerts
from app.insights.engagement import score_engagement
from app.insights.segments import score_customers
from app.models import AlertRule, Shop, ShopScope, db, utcnow
from app.models.shop_settings import StorefrontTracking
from app.models.sql import allow_large_sorts

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(1_000_000, 5_000)
MESSAGES = CUSTOMERS * 3 // 10
VIEWS = CUSTOMERS
LIMIT_SECONDS = 60.0

GENERATE = [
    """
    INSERT INTO customers (id, shop_id, platform_customer_id, email, first_name, last_name,
        address, email_consent, sms_consent, order_count, total_spent, first_order_at,
        last_order_at, created_at, updated_at)
    SELECT i, :shop, i::text, 'c' || i || '@example.com', '', '', '{}', 'granted', 'unknown',
        n, 50 * n,
        CASE WHEN n > 0 THEN :now - make_interval(days => last + (n - 1) * 30) END,
        CASE WHEN n > 0 THEN :now - make_interval(days => last) END,
        :now - make_interval(days => (i * 13) % 700), :now
    FROM (SELECT i, ((i::bigint * 7919) % 7)::int AS n, ((i * 17) % 400)::int AS last
          FROM generate_series(1, :customers) AS i) AS r
    """,
    """
    INSERT INTO flow_runs (id, shop_id, flow_key, subject_key, customer_id, state, step,
        held_out, context, started_at, created_at, updated_at)
    SELECT i, :shop, 'cross_sell', 'order:' || i, (i::bigint * 37) % :customers + 1,
        'completed', 1, false, '{}', :now - make_interval(days => i % 120), :now, :now
    FROM generate_series(1, :messages) AS i
    """,
    """
    INSERT INTO messages (shop_id, run_id, flow_key, step, channel, kind, customer_id,
        recipient, subject, status, idempotency_key, attempts, sent_at, opened_at, clicked_at,
        meta, created_at, updated_at)
    SELECT :shop, i, 'cross_sell', 0, 'email', 'marketing', (i::bigint * 37) % :customers + 1,
        'x@example.com', '', 'sent', 'k-' || i, 1, :now - make_interval(days => i % 120),
        CASE WHEN i % 3 = 0 THEN :now - make_interval(days => i % 120) END,
        CASE WHEN i % 7 = 0 THEN :now - make_interval(days => i % 120) END,
        '{}', :now, :now
    FROM generate_series(1, :messages) AS i
    """,
    """
    INSERT INTO storefront_events (shop_id, visitor_id, customer_id, kind, product_id,
        occurred_at, received_at)
    SELECT :shop, 'v' || (i % 250000),
        CASE WHEN i % 4 <> 0 THEN (i::bigint * 53) % :customers + 1 END,
        'product_viewed', (i % 500)::text, :now - make_interval(mins => (i * 7) % (40 * 1440)),
        :now
    FROM generate_series(1, :views) AS i
    """,
    "SELECT setval('customers_id_seq', :customers)",
    "SELECT setval('flow_runs_id_seq', :messages)",
]


def generate(shop_id: int) -> None:
    params = {
        "shop": shop_id,
        "now": utcnow(),
        "customers": CUSTOMERS,
        "messages": MESSAGES,
        "views": VIEWS,
    }
    for statement in GENERATE:
        db.session.execute(sa.text(statement), params)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


NOW = utcnow()


def rfm(shop_id: int) -> int:
    allow_large_sorts()  # as the daily job does
    changed = score_customers(shop_id, NOW)
    db.session.commit()
    return changed


def engagement(shop_id: int, days_later: int) -> dict[str, int]:
    allow_large_sorts()
    result = score_engagement(shop_id, NOW + timedelta(days=days_later))
    db.session.commit()
    return result


def alerts(shop_id: int, days_later: int) -> int:
    """The daily alert rules on the scores just written; rolled back, so no job is queued."""
    found = raise_alerts(shop_id, NOW + timedelta(days=days_later), DAILY_KINDS)
    db.session.rollback()
    return found


def main() -> None:
    with scratch_app("engagement"):
        shop = Shop(platform="demo", domain="bench.example", status="active")
        shop.storefront_tracking = StorefrontTracking(collect_key="bench")
        db.session.add(shop)
        db.session.commit()
        _, setup = timed(lambda: generate(shop.id))
        for kind, level in (("score_above", "60"), ("score_below", "20"), ("vip_overdue", None)):
            threshold = Decimal(level) if level else None
            ShopScope(shop.id).add(AlertRule(kind=kind, threshold=threshold, period_days=30))
        db.session.commit()
        rows = [
            ("step", "customers", "result", "seconds", "limit", "ok"),
            (
                "generate (not timed)",
                f"{CUSTOMERS:,}",
                f"{MESSAGES:,} emails, {VIEWS:,} views",
                f"{setup:.1f}",
                "",
                "",
            ),
        ]
        scored, rfm_s = timed(lambda: rfm(shop.id))
        rows.append(
            (
                "RFM scores (baseline)",
                f"{CUSTOMERS:,}",
                f"{scored:,} scored",
                f"{rfm_s:.1f}",
                "",
                "",
            )
        )
        slowest = 0.0
        for step, days in (("first run", 0), ("next day", 1), ("40 days later", 40)):
            result, seconds = timed(lambda d=days: engagement(shop.id, d))
            slowest = max(slowest, seconds)
            said = f"{result['changed']:,} written, {result['moved']:,} moved"
            ok = "yes" if seconds <= LIMIT_SECONDS else "NO"
            rows.append(
                (
                    f"engagement, {step}",
                    f"{CUSTOMERS:,}",
                    said,
                    f"{seconds:.1f}",
                    f"{LIMIT_SECONDS:.0f}",
                    ok,
                )
            )
            if days == 40:
                found, alert_s = timed(lambda: alerts(shop.id, 40))
                rows.append(
                    (
                        "alert rules after it",
                        f"{CUSTOMERS:,}",
                        f"{found:,} alerts (capped)",
                        f"{alert_s:.1f}",
                        "",
                        "",
                    )
                )
        print(table(rows))
        report(
            f"engagement scores, slowest daily run ({CUSTOMERS:,} customers)",
            f"{slowest:.1f} s",
            "<= 60 s",
            slowest <= LIMIT_SECONDS,
            f"RFM {rfm_s:.1f} s",
        )


if __name__ == "__main__":
    main()
