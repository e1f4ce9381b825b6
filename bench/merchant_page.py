"""The merchant's pages on a big shop: home and a flow's page must answer in under 150 ms of
server time at p95.

A scratch PostgreSQL database gets, with generate_series, one shop of 1,000,000 customers,
3,000,000 orders (three per customer over a year) and 500,000 flow runs of the three flows
spread over a year (5% held out, 4% converted by one of the customer's orders, the newest
ones still active and waiting), with one sent email per run for four in five. Then each page
is requested through the app (Flask's test client, the development token in the header, as
page.js sends it): the time from request to rendered HTML, warm, over ``ROUNDS`` requests.

Every SELECT a page runs is then EXPLAINed: a sequential scan of customers, orders,
flow_runs or messages would fail the "indexed aggregates, not scans" rule and is printed
(except under an EXISTS probe, which stops at the first matching row).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from typing import Any

import sqlalchemy as sa
from scratch import scratch_app, table, timed

from app.models import FlowSetting, Shop, ShopScope, db, utcnow
from app.web.embedded.session import issue_dev_token

CUSTOMERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ORDERS_EACH = 3
RUNS = CUSTOMERS // 2
ROUNDS = 40
LIMIT_MS = 150.0
BIG_TABLES = ("customers", "orders", "flow_runs", "messages")

GENERATE = [
    """
    INSERT INTO customers (id, shop_id, platform_customer_id, email, first_name, last_name,
        address, email_consent, sms_consent, order_count, total_spent, created_at, updated_at)
    SELECT i, :shop, i::text, 'c' || i || '@example.com', 'Ola', '', '{}',
        CASE WHEN i % 3 = 0 THEN 'unknown' ELSE 'granted' END, 'unknown', 3, 150, :now, :now
    FROM generate_series(1, :customers) AS i
    """,
    "SELECT setval('customers_id_seq', :customers)",
    """
    INSERT INTO orders (id, shop_id, platform_order_id, customer_id, items, total, currency,
        cancelled, is_cod, shipping_address, placed_at, paid_at, refunds, refunded,
        created_at, updated_at)
    SELECT o, :shop, o::text, 1 + (o - 1) / :each, '[]', 20 + (o * 7) % 180, 'PLN',
        o % 50 = 0, false, '{}', :now - make_interval(mins => (o * 37) % (365 * 1440)),
        :now - make_interval(mins => (o * 37) % (365 * 1440)), '{}', 0, :now, :now
    FROM generate_series(1, :customers * :each) AS o
    """,
    "SELECT setval('orders_id_seq', :customers * :each)",
    # Run r: flow by r % 3, started r*... minutes ago over a year, the newest 2% still active.
    """
    INSERT INTO flow_runs (id, shop_id, flow_key, subject_key, customer_id, state, step,
        next_step_at, held_out, context, started_at, ended_at, end_reason, converted_order_id,
        created_at, updated_at)
    SELECT r, :shop, (ARRAY['abandoned_cart', 'cross_sell', 'reactivation'])[1 + r % 3],
        'run:' || r, c,
        CASE WHEN r % 25 = 0 THEN 'converted' WHEN age < 10080 THEN 'active'
             WHEN r % 7 = 0 THEN 'cancelled' ELSE 'completed' END,
        CASE WHEN age < 10080 THEN 1 ELSE 3 END,
        CASE WHEN age < 10080 AND r % 25 <> 0 THEN :now + interval '2 hours' END,
        r % 20 = 0,
        CASE WHEN age < 10080 AND r % 11 = 0
             THEN '{"deferred": "quiet_hours", "deferrals": 1}' ELSE '{}' END::jsonb,
        :now - make_interval(mins => age),
        CASE WHEN age >= 10080 OR r % 25 = 0 THEN :now - make_interval(mins => age - 60) END,
        CASE WHEN r % 25 = 0 THEN 'order_placed' WHEN age < 10080 THEN NULL
             WHEN r % 7 = 0 THEN 'order_placed' ELSE 'sequence_finished' END,
        CASE WHEN r % 25 = 0 THEN (c - 1) * :each + 1 END,
        :now, :now
    FROM (SELECT r, (1 + (r::bigint * 7919) % :customers)::int AS c,
                 (r::bigint * 525600 / :runs)::int AS age
          FROM generate_series(1, :runs) AS r) AS g
    """,
    "SELECT setval('flow_runs_id_seq', :runs)",
    """
    INSERT INTO messages (shop_id, run_id, flow_key, step, channel, kind, customer_id,
        recipient, subject, status, idempotency_key, attempts, sent_at, opened_at, clicked_at, meta,
        created_at, updated_at)
    SELECT :shop, r.id, r.flow_key, 0, 'email', 'marketing', r.customer_id, 'c@example.com', 'Hej',
        'sent', 'bench-' || r.id, 1, r.started_at + interval '1 hour',
        CASE WHEN r.id % 3 = 0 THEN r.started_at + interval '2 hours' END,
        CASE WHEN r.id % 9 = 0 THEN r.started_at + interval '3 hours' END, '{}', :now, :now
    FROM flow_runs r WHERE r.id % 5 <> 0 AND NOT r.held_out
    """,
]


def generate(shop_id: int) -> None:
    params = {"shop": shop_id, "now": utcnow()}
    # The sizes go in as literals: psycopg would bind a small int as smallint, and overflow.
    sizes = {":customers": str(CUSTOMERS), ":each": str(ORDERS_EACH), ":runs": str(RUNS)}
    for statement in GENERATE:
        for name, value in sizes.items():
            statement = statement.replace(name, value)
        db.session.execute(sa.text(statement), params)
    for key in ("abandoned_cart", "cross_sell"):
        ShopScope(shop_id).add(FlowSetting(flow_key=key, enabled=True, values={}))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def statements_of(client: Any, url: str, headers: dict[str, str]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(url, headers=headers)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def scans(statements: list[tuple[str, Any]]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # An EXISTS probe (a Result over an InitPlan) stops at the first matching row: the
            # planner may rightly walk the table for it when most rows match.
            probe = plan.startswith("Result") and "InitPlan" in plan
            for table_name in BIG_TABLES:
                if re.search(rf"Seq Scan on {table_name}\b", plan) and not probe:
                    found.append(f"{table_name}: {statement.split('FROM', 1)[-1][:80]}")
    return found


def timings(client: Any, url: str, headers: dict[str, str]) -> list[float]:
    client.get(url, headers=headers)  # warm: templates compiled, catalogs loaded
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return times


def main() -> None:
    with scratch_app("page") as app:
        shop = Shop(
            platform="demo",
            domain="bench.example",
            name="Bench",
            status="active",
            currency="PLN",
            locale="pl",
            timezone="Europe/Warsaw",
            settings={"address": "ul. Prosta 1, 00-001 Warszawa"},
        )
        db.session.add(shop)
        db.session.commit()
        _, setup = timed(lambda: generate(shop.id))
        counts = {t: db.session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in BIG_TABLES}
        db.session.commit()
        client = app.test_client(use_cookies=False)
        headers = {"Authorization": f"Dev {issue_dev_token(shop)}"}
        rows = [("page", "requests", "p50 ms", "p95 ms", "max ms", "limit", "seq scans", "ok")]
        sizes = []
        for name, url in (("home", "/embedded/"), ("flow page", "/embedded/flows/abandoned_cart")):
            times = timings(client, url, headers)
            found = scans(statements_of(client, url, headers))
            p95 = statistics.quantiles(times, n=20)[-1]
            ok = "yes" if p95 < LIMIT_MS and not found else "NO"
            rows.append(
                (
                    name,
                    str(ROUNDS),
                    f"{statistics.median(times):.0f}",
                    f"{p95:.0f}",
                    f"{max(times):.0f}",
                    f"{LIMIT_MS:.0f}",
                    str(len(found)),
                    ok,
                )
            )
            sizes.append((name, len(client.get(url, headers=headers).data)))
            for scan in found:
                print(f"  sequential scan on {scan}")
        print(
            f"generated in {setup:.0f} s (not timed): "
            + ", ".join(f"{counts[t]:,} {t}" for t in BIG_TABLES)
        )
        print(table(rows))
        print("HTML per page: " + ", ".join(f"{n} {size / 1024:.1f} kB" for n, size in sizes))


if __name__ == "__main__":
    main()
