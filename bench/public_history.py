"""The backtest on a real, public basket history you downloaded (the data is never committed).

    .venv/bin/python bench/public_history.py PATH/Groceries_dataset.csv

Reads a CSV of one line per item bought, in the "Groceries dataset" layout (columns
``Member_number``, ``Date`` as YYYY-MM-DD or DD-MM-YYYY, ``itemDescription``): a member's
items of one day are one order. The history is loaded into a scratch PostgreSQL database as
a shop's products, customers, orders and order lines (shifted so its newest order is
yesterday), the nightly refresh runs on it (ANALYZE first, as after an import), and the
backtest tables of both emails and of the idle rules are printed with what the shop would
be served and the sentence its merchant page would show.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from scratch import scratch_app, table, timed

from app.insights import idle_eval
from app.insights.recommendation_model import refresh_recommendations
from app.insights.recs_choice import evidence_sentence
from app.insights.recs_eval import evaluate_shop, format_table
from app.models import Shop, db, utcnow


def read(path: str) -> dict[tuple[str, str], list[str]]:
    """(member, day) -> items, the order of one member on one day."""
    orders: dict[tuple[str, str], list[str]] = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day = _day(row["Date"]).date().isoformat()
            orders[(row["Member_number"].strip(), day)].append(row["itemDescription"].strip())
    return orders


def _day(text: str) -> datetime:
    for layout in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
    raise ValueError(f"unknown date {text!r}")


def load(shop_id: int, orders: dict[tuple[str, str], list[str]]) -> int:
    now = utcnow()
    newest = max(datetime.fromisoformat(day) for _, day in orders)
    shift = now.replace(tzinfo=None) - newest - timedelta(days=1)
    items = sorted({i for basket in orders.values() for i in basket})
    members = sorted({m for m, _ in orders})
    conn = db.session.connection()
    conn.execute(
        sa.text(
            "INSERT INTO products (shop_id, platform_product_id, title, category, status, price,"
            " in_stock, cross_sell_ids, upsell_ids, extra, created_at, updated_at)"
            " VALUES (:shop, :pid, :title, 'Groceries', 'active', 10, true, '[]', '[]', '{}',"
            " :now, :now)"
        ),
        [{"shop": shop_id, "pid": str(n), "title": t, "now": now} for n, t in enumerate(items)],
    )
    conn.execute(
        sa.text(
            "INSERT INTO customers (shop_id, platform_customer_id, first_name, last_name, address,"
            " email_consent, sms_consent, order_count, total_spent, created_at, updated_at)"
            " VALUES (:shop, :m, '', '', '{}', 'unknown', 'unknown', 0, 0, :now, :now)"
        ),
        [{"shop": shop_id, "m": m, "now": now} for m in members],
    )
    customer_ids = dict(
        conn.execute(
            sa.text("SELECT platform_customer_id, id FROM customers WHERE shop_id = :shop"),
            {"shop": shop_id},
        ).all()
    )
    product = {t: str(n) for n, t in enumerate(items)}
    order_rows, line_rows = [], []
    for n, ((member, day), basket) in enumerate(sorted(orders.items())):
        at = datetime.fromisoformat(day) + shift + timedelta(hours=12)
        order_rows.append({"shop": shop_id, "oid": str(n), "cid": customer_ids[member], "at": at})
        line_rows += [{"shop": shop_id, "oid": str(n), "pid": product[i], "at": at} for i in basket]
    conn.execute(
        sa.text(
            "INSERT INTO orders (shop_id, platform_order_id, customer_id, items, total, currency,"
            " paid, cancelled, is_cod, shipping_address, placed_at, created_at, updated_at)"
            " VALUES (:shop, :oid, :cid, '[]', 10, 'EUR', true, false, false, '{}', :at, :at, :at)"
        ),
        order_rows,
    )
    conn.execute(
        sa.text(
            "INSERT INTO order_lines (shop_id, order_id, platform_product_id, quantity,"
            " unit_price, placed_at)"
            " SELECT :shop, o.id, :pid, 1, 10, :at FROM orders o"
            " WHERE o.shop_id = :shop AND o.platform_order_id = :oid"
        ),
        line_rows,
    )
    conn.execute(
        sa.text(
            "UPDATE customers c SET order_count = s.n, last_order_at = s.last FROM"
            " (SELECT customer_id, count(*) AS n, max(placed_at) AS last FROM orders"
            " WHERE shop_id = :shop GROUP BY customer_id) s WHERE c.id = s.customer_id"
        ),
        {"shop": shop_id},
    )
    db.session.commit()
    return len(line_rows)


def main() -> None:
    orders = read(sys.argv[1])
    with scratch_app("public"):
        shop = Shop(platform="demo", domain="public.example", status="active")
        db.session.add(shop)
        db.session.commit()
        lines, load_s = timed(lambda: load(shop.id, orders))
        _, refresh_s = timed(lambda: refresh_recommendations(shop.id, analyze=True))
        cross_sell = evaluate_shop(shop.id, "order")
        win_back = evaluate_shop(shop.id, "customer")
        idle = idle_eval.idle_backtest(*idle_eval.order_times(shop.id))
        evidence = db.session.get(Shop, shop.id).recommendation_evidence
        rule = db.session.get(Shop, shop.id).idle_rule
        print(
            table(
                [
                    ("step", "order lines", "orders", "seconds"),
                    ("load (not timed)", f"{lines:,}", f"{len(orders):,}", f"{load_s:.1f}"),
                    ("nightly refresh", f"{lines:,}", f"{len(orders):,}", f"{refresh_s:.1f}"),
                ]
            )
        )
        for result in (cross_sell, win_back):
            print()
            print(format_table(result))
        print()
        print(idle_eval.format_table(idle))
        print(f"\nserves: cross-sell {evidence.method}, win-back {evidence.winback_method}")
        print(f"idle rule: {rule.days} days, rhythm {rule.rhythm}")
        print(f"merchant page: {evidence_sentence(evidence, 'en')}")


if __name__ == "__main__":
    main()
