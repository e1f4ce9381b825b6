"""Importing a shop's order history: 200,000 orders in at most 2 minutes, and no flow started.

There is no set-based history import yet: a shop's existing orders go in the way the Shopify
reconcile's backfill takes them, each order normalised (``orders/create``, the documented
sample made each order's own, dated a year back) and applied through ``events.apply``, the
path every live order takes. This measures that path on ``ORDERS`` orders over 10 shops (cart
and order flows on) and projects 200,000 at the measured rate; it also counts the flow runs
the old orders started, which must be none (history is not news).

    PYTHONPATH=.:bench .venv/bin/python bench/history_import.py [orders]
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table
from shopify_samples import make_shops, order

from app import connectors
from app.connectors.base import ShopRef
from app.events.apply import apply
from app.models import FlowRun, Order, Shop, db, utcnow

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(2_000, 50)
GOAL_ORDERS, GOAL_SECONDS = 200_000, 120.0
COMMIT_EVERY = 100


def import_history(shop_ids: list[int]) -> None:
    platform = connectors.get("shopify")
    assert platform is not None
    refs = {shop.id: ShopRef.of(shop) for shop in db.session.scalars(sa.select(Shop))}
    long_ago = utcnow() - timedelta(days=365)
    for n in range(ORDERS):
        ref = refs[shop_ids[n % len(shop_ids)]]
        payload = order(n, long_ago + timedelta(minutes=n))
        for event in platform.normalize(ref, "orders/create", payload, {}):
            apply(event)
        if n % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.commit()


def main() -> None:
    with scratch_app("history"):
        shop_ids = make_shops(10)
        cpu, started = time.process_time(), time.perf_counter()
        import_history(shop_ids)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0
        runs = db.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) or 0
        states = sa.select(FlowRun.flow_key, FlowRun.state, sa.func.count()).group_by(
            FlowRun.flow_key, FlowRun.state
        )
        by_state = [f"{key} {state}: {count}" for key, state, count in db.session.execute(states)]
    per_second = ORDERS / elapsed
    projected = GOAL_ORDERS / per_second
    print(
        table(
            [
                ("orders", "stored", "seconds", "CPU s", "orders/s", "200,000 would take",
                 "flow runs started"),
                (f"{ORDERS:,}", f"{stored:,}", f"{elapsed:.1f}", f"{cpu:.1f}",
                 f"{per_second:,.0f}", f"{projected / 60:,.1f} min", f"{runs:,}"),
            ]
        )
    )  # fmt: skip
    print(f"\nflow runs: {', '.join(by_state) or 'none'}")
    report(
        "history import: 200,000 orders (event path)",
        f"{projected / 60:,.1f} min ({per_second:,.0f} orders/s on {ORDERS:,})",
        "<= 2 min",
        projected <= GOAL_SECONDS and stored == ORDERS,
    )
    report("history import: flow runs started by old orders", f"{runs:,}", "0", runs == 0)


if __name__ == "__main__":
    main()
