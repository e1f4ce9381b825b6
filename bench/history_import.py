"""Importing a shop's order history: 200,000 orders in at most 2 minutes, and no flow started.

The set-based path, as a Shopify shop's history goes in: the bulk operation's JSONL (each
order line followed by its line items, ``__parentId``) streamed through
``connectors.shopify.history.import_order_lines`` — each order mapped as the reconcile maps
one, then COPYed and upserted set-based per chunk (``events.history``), the cursor committed
after each chunk. ``ORDERS`` orders of ``ORDERS // 3`` customers, two or three lines each,
placed over the year before the shop connected, spread over 4 shops (cart and order flows on).

Beside it, in the same run, the old way on a small sample: each order normalised as an
``orders/create`` webhook and applied through ``events.apply`` (the live path), projected to
200,000 at its measured rate. Both count the flow runs the old orders started: none allowed.

    PYTHONPATH=.:bench .venv/bin/python bench/history_import.py [orders] [event_path_orders]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from scratch import report, scratch_app, sized, table
from shopify_samples import make_shops, order

from app import connectors
from app.connectors.base import ShopRef
from app.connectors.shopify.history import import_order_lines
from app.events.apply import apply
from app.models import Customer, FlowRun, Order, OrderLine, Shop, ShopScope, db, utcnow

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else sized(200_000, 2_000)
EVENT_ORDERS = int(sys.argv[2]) if len(sys.argv) > 2 else sized(500, 50)
SHOPS = 4
GOAL_ORDERS, GOAL_SECONDS = 200_000, 120.0
COMMIT_EVERY = 100


def _money(amount: str) -> dict[str, dict[str, str]]:
    return {"shopMoney": {"amount": amount}}


def bulk_lines(shop_index: int, count: int, start: datetime) -> Iterator[str]:
    """A bulk operation's JSONL of ``count`` orders, in the fields our query asks for."""
    customers = max(1, count // 3)
    for n in range(count):
        who = n % customers
        gid = f"gid://shopify/Order/{shop_index * 10**9 + n}"
        at = (start + timedelta(seconds=n * 150)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = 2 + n % 2
        yield json.dumps(
            {
                "id": gid, "name": f"#{1000 + n}", "email": f"shopper{who}@example.com",
                "createdAt": at, "processedAt": at, "updatedAt": at, "cancelledAt": None,
                "displayFinancialStatus": "PAID" if n % 20 else "REFUNDED",
                "currencyCode": "PLN", "paymentGatewayNames": ["manual"],
                "refunds": [], "fulfillments": [{"createdAt": at, "status": "SUCCESS"}],
                "totalPriceSet": _money(f"{99 * lines}.00"),
                "shippingAddress": {"firstName": "Ola", "lastName": f"K{who}",
                                    "address1": "Prosta 1", "address2": None,
                                    "city": "Warszawa", "zip": "00-001", "province": None,
                                    "country": "Poland", "phone": None},
                "customer": {
                    "id": f"gid://shopify/Customer/{shop_index * 10**9 + who}",
                    "firstName": "Ola", "lastName": f"K{who}",
                    "defaultEmailAddress": {
                        "emailAddress": f"shopper{who}@example.com",
                        "marketingState": "SUBSCRIBED" if who % 2 else "NOT_SUBSCRIBED",
                        "marketingOptInLevel": "SINGLE_OPT_IN", "marketingUpdatedAt": at,
                    },
                    "defaultPhoneNumber": None,
                },
            }
        )  # fmt: skip
        for line in range(lines):
            product = 1 + (who * 7 + line * 13) % 500
            yield json.dumps(
                {
                    "id": f"gid://shopify/LineItem/{shop_index * 10**9 + n * 4 + line}",
                    "title": f"Product {product}", "quantity": 1 + line % 2,
                    "variantTitle": "M", "originalUnitPriceSet": _money("99.00"),
                    "product": {"id": f"gid://shopify/Product/{product}"},
                    "variant": {"id": f"gid://shopify/ProductVariant/{product * 10}"},
                    "__parentId": gid,
                }
            )  # fmt: skip


def set_based(shop_ids: list[int]) -> None:
    start = utcnow() - timedelta(days=400)
    for index, shop_id in enumerate(shop_ids):
        shop = db.session.get(Shop, shop_id)
        assert shop is not None
        import_order_lines(shop, bulk_lines(index, ORDERS // len(shop_ids), start))


def event_path(shop_ids: list[int]) -> None:
    platform = connectors.get("shopify")
    assert platform is not None
    refs = {shop.id: ShopRef.of(shop) for shop in db.session.scalars(sa.select(Shop))}
    long_ago = utcnow() - timedelta(days=365)
    for n in range(EVENT_ORDERS):
        ref = refs[shop_ids[n % len(shop_ids)]]
        payload = order(n, long_ago + timedelta(minutes=n))
        for event in platform.normalize(ref, "orders/create", payload, {}):
            apply(event)
        if n % COMMIT_EVERY == 0:
            db.session.commit()
    db.session.commit()


def measure(work: object, shop_ids: list[int]) -> tuple[float, float, int, int, int, int]:
    """Wall and CPU seconds, then orders, lines, customers and flow runs of these shops."""
    cpu, started = time.process_time(), time.perf_counter()
    work(shop_ids)  # type: ignore[operator]
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu

    def count(model: type) -> int:
        return sum(
            db.session.scalar(ShopScope(s).select(model).with_only_columns(sa.func.count())) or 0
            for s in shop_ids
        )

    return elapsed, cpu, count(Order), count(OrderLine), count(Customer), count(FlowRun)


def main() -> None:
    with scratch_app("history"):
        shop_ids = make_shops(2 * SHOPS)
        fast = measure(set_based, shop_ids[:SHOPS])
        slow = measure(event_path, shop_ids[SHOPS:])
    rows = [("path", "orders", "lines", "customers", "seconds", "CPU s", "orders/s",
             "200,000 would take", "flow runs started")]  # fmt: skip
    for name, (elapsed, cpu, orders, lines, customers, runs) in (
        ("set-based (bulk JSONL)", fast),
        ("event path (apply)", slow),
    ):
        rate = orders / elapsed
        rows.append(
            (name, f"{orders:,}", f"{lines:,}", f"{customers:,}", f"{elapsed:.1f}", f"{cpu:.1f}",
             f"{rate:,.0f}", f"{GOAL_ORDERS / rate / 60:,.1f} min", f"{runs:,}")
        )  # fmt: skip
    print(table(rows))
    elapsed, cpu, orders, _lines, _customers, runs = fast
    projected = GOAL_ORDERS / (orders / elapsed)
    slow_projected = GOAL_ORDERS / (slow[2] / slow[0])
    report(
        "history import: 200,000 orders (set-based)",
        f"{projected:,.0f} s ({orders / elapsed:,.0f} orders/s on {orders:,}; {cpu:.0f} s CPU)",
        "<= 120 s",
        projected <= GOAL_SECONDS and orders == ORDERS // SHOPS * SHOPS,
        f"event path {slow_projected / 60:,.0f} min ({slow[2] / slow[0]:,.0f}/s on {slow[2]:,})",
    )
    report(
        "history import: flow runs started by old orders",
        f"{runs + slow[5]:,}",
        "0",
        runs + slow[5] == 0,
        f"set-based {runs:,}, event path {slow[5]:,}",
    )


if __name__ == "__main__":
    main()
