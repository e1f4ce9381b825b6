"""The 15-minute reconcile: disabled webhooks re-enabled, missed orders backfilled."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue

from app.connectors.woocommerce.reconcile import reconcile_store, reconcile_stores
from app.connectors.woocommerce.webhooks import WEBHOOK_TOPICS, ensure_webhooks
from app.models import Order, Shop, db, utcnow
from app.pipeline import queues


def gmt(delta: timedelta) -> str:
    return (utcnow() + delta).strftime("%Y-%m-%dT%H:%M:%S")


def orders() -> dict[str, Order]:
    db.session.expire_all()
    return {o.platform_order_id: o for o in db.session.scalars(sa.select(Order))}


def test_disabled_webhook_is_re_enabled_and_missed_orders_backfilled(woo_shop, fake_store):
    ensure_webhooks(woo_shop)
    order_hook = next(h for h in fake_store.webhooks if h["topic"] == "order.created")
    order_hook["status"] = "disabled"  # WooCommerce gave up after five failed deliveries
    fake_store.add_order(801, gmt(-timedelta(hours=2)), status="processing")
    fake_store.add_order(802, gmt(-timedelta(minutes=30)), status="pending", date_paid_gmt=None)
    fake_store.add_order(700, gmt(-timedelta(days=3)))  # long before we connected

    result = reconcile_store(woo_shop.id)

    assert order_hook["status"] == "active"
    assert (result["reenabled"], result["created"]) == (1, 0)
    assert set(orders()) == {"801", "802"}
    assert orders()["801"].paid is True and orders()["802"].paid is False
    assert len(fake_store.webhooks) == len(WEBHOOK_TOPICS)


def test_next_run_asks_only_for_orders_modified_since_the_newest_seen(woo_shop, fake_store):
    fake_store.add_order(801, gmt(-timedelta(hours=1)))
    reconcile_store(woo_shop.id)
    db.session.expire_all()
    cursor = db.session.get(Shop, woo_shop.id).settings["reconcile"]["orders_modified_gmt"]
    assert cursor.startswith(fake_store.orders[0]["date_modified_gmt"])

    fake_store.add_order(803, gmt(timedelta(minutes=1)), status="cancelled")
    result = reconcile_store(woo_shop.id)
    # The overlap re-reads order 801 too; applying it again changes nothing.
    assert result["orders"] == 2
    assert set(orders()) == {"801", "803"}
    assert orders()["803"].cancelled is True


def test_cron_fans_out_one_job_per_connected_store(woo_shop, make_shop, redis_conn):
    make_shop(n=2, platform="woocommerce", status="uninstalled")
    make_shop(n=3)  # a demo-platform shop
    woo_shop.settings = {
        **woo_shop.settings,
        "sync": {"status": "done", "finished_at": utcnow().isoformat()},
    }
    db.session.commit()
    assert reconcile_stores() == {"reconciles": 1, "syncs": 0}
    assert reconcile_stores() == {"reconciles": 0, "syncs": 0}  # still queued: not twice
    assert Queue("sync", connection=redis_conn).job_ids == [f"woo-reconcile-{woo_shop.id}"]
    assert queues.job_is_pending(f"woo-reconcile-{woo_shop.id}")


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        ({"status": "done", "finished_at": (utcnow() - timedelta(hours=25)).isoformat()}, 1),
        ({"status": "running", "done_pages": [1, 2], "total_pages": 9}, 1),
        (None, 1),
        ({"status": "done", "finished_at": (utcnow() - timedelta(hours=1)).isoformat()}, 0),
    ],
    ids=["a-day-old", "interrupted", "never", "fresh"],
)
def test_cron_starts_a_catalog_sync_when_stale_or_interrupted(woo_shop, progress, expected):
    if progress is not None:
        woo_shop.settings = {**woo_shop.settings, "sync": progress}
        db.session.commit()
    assert reconcile_stores()["syncs"] == expected
    assert queues.job_is_pending(f"woo-sync-{woo_shop.id}") is bool(expected)
