"""The 15-minute reconcile: disabled webhooks re-enabled, missed orders backfilled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue

from app.connectors.woocommerce.client import StoreApiError
from app.connectors.woocommerce.identity import store_address
from app.connectors.woocommerce.reconcile import reconcile_store, reconcile_stores
from app.connectors.woocommerce.webhooks import WEBHOOK_TOPICS, ensure_webhooks
from app.models import Order, Shop, db, utcnow
from app.models.shop_settings import LegalAddress
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
    make_shop(n=2, platform="woocommerce", status="uninstalled", credentials={})
    make_shop(n=3)  # a demo-platform shop
    woo_shop.settings = {
        **woo_shop.settings,
        "sync": {"status": "done", "finished_at": utcnow().isoformat()},
    }
    db.session.commit()
    assert reconcile_stores() == {"reconciles": 1, "syncs": 0, "revokes": 0, "connects": 0}
    assert reconcile_stores() == {"reconciles": 0, "syncs": 0, "revokes": 0, "connects": 0}
    assert Queue("sync", connection=redis_conn).job_ids == [f"woo-reconcile-{woo_shop.id}"]
    assert queues.job_is_pending(f"woo-reconcile-{woo_shop.id}")


def test_cron_revokes_a_disconnected_store_whose_keys_we_still_hold(woo_shop, make_shop):
    make_shop(n=2, platform="woocommerce", status="uninstalled", credentials={})  # revoked
    woo_shop.status = "uninstalled"  # its revoke job was lost
    db.session.commit()
    assert reconcile_stores() == {"reconciles": 0, "syncs": 0, "revokes": 1, "connects": 0}
    assert queues.job_is_pending(f"woo-revoke-{woo_shop.id}")


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


def _set_general(fake_store, **values: str) -> None:
    for row in fake_store.general_settings:
        if row["id"] in values:
            row["value"] = values[row["id"]]


def test_reconcile_follows_the_stores_name_address_currency_and_timezone_once_a_day(
    woo_shop, fake_store
):
    fake_store.issued_keys.add(("ck_test", "cs_test"))
    reconcile_store(woo_shop.id)
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.legal_address.text == "ul. Mokotowska 12, lok. 4, 00-561 Warszawa, Polska"
    assert shop.legal_address.from_store is True
    assert (shop.currency, shop.timezone, shop.locale) == ("PLN", "Europe/Warsaw", "pl")

    # The merchant moves and renames the store; the next day's reconcile follows.
    _set_general(
        fake_store,
        woocommerce_store_address="Strada Lipscani 5",
        woocommerce_store_address_2="",
        woocommerce_store_city="București",
        woocommerce_store_postcode="030031",
        woocommerce_default_country="RO",
        woocommerce_currency="RON",
    )
    fake_store.site_index.update(name="Magazin &amp; Co", timezone_string="Europe/Bucharest")
    fake_store.system_status = {"environment": {"language": "ro_RO"}}
    reconcile_store(woo_shop.id)
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).currency == "PLN"  # read less than a day ago

    shop = db.session.get(Shop, woo_shop.id)
    shop.reconcile_state = replace(
        shop.reconcile_state, identity_at=(utcnow() - timedelta(hours=25)).isoformat()
    )
    db.session.commit()
    reconcile_store(woo_shop.id)
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.legal_address.text == "Strada Lipscani 5, 030031 București, România"
    assert (shop.name, shop.currency, shop.timezone, shop.locale) == (
        "Magazin & Co",
        "RON",
        "Europe/Bucharest",
        "ro",
    )


def test_address_the_merchant_typed_on_our_page_is_kept_by_the_reconcile(woo_shop, fake_store):
    fake_store.issued_keys.add(("ck_test", "cs_test"))
    woo_shop.legal_address = LegalAddress("Biuro: ul. Prosta 1, 00-001 Warszawa")
    db.session.commit()

    reconcile_store(woo_shop.id)

    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert shop.currency == "PLN"  # the store was read
    assert shop.legal_address == LegalAddress("Biuro: ul. Prosta 1, 00-001 Warszawa")


def test_store_refusing_its_settings_keeps_our_identity_and_still_backfills(woo_shop, fake_store):
    # woo_shop's keys are not among the ones this store issued: settings/general answers 401.
    fake_store.add_order(801, gmt(-timedelta(hours=1)))
    held = (woo_shop.name, woo_shop.currency, woo_shop.timezone)
    result = reconcile_store(woo_shop.id)

    assert result["orders"] == 1
    db.session.expire_all()
    shop = db.session.get(Shop, woo_shop.id)
    assert (shop.name, shop.currency, shop.timezone) == held
    assert not shop.legal_address.is_set
    assert shop.reconcile_state.identity_at is None  # asked again next time


def test_store_refusing_our_keys_is_a_warning_not_a_retried_failure_and_later_runs_go_on(
    woo_shop, fake_store, caplog
):
    # Seen on a real store: Disconnect pressed while the service was down; the plugin revoked
    # its key at once and its signed store.disconnected waited in Action Scheduler, so the
    # reconcile met GET webhooks -> 401 with the shop still active here.
    fake_store.add_order(801, gmt(-timedelta(hours=1)))
    fake_store.revoked_keys.add(("ck_test", "cs_test"))
    with caplog.at_level("WARNING", logger="app.connectors.woocommerce.reconcile"):
        result = reconcile_store(woo_shop.id)  # raising would make rq retry it three times

    assert result == {"status": "refused", "store_answered": 401}
    assert [r.getMessage() for r in caplog.records] == ["woocommerce store refused our keys"]
    assert orders() == {} and fake_store.webhooks == []
    db.session.expire_all()
    assert db.session.get(Shop, woo_shop.id).status == "active"  # the disconnect decides that

    fake_store.revoked_keys.clear()  # keys the store honours again: the next run does its work
    assert reconcile_store(woo_shop.id)["orders"] == 1
    assert set(orders()) == {"801"}


def test_store_failing_otherwise_still_fails_the_reconcile_for_a_retry(woo_shop, fake_store):
    fake_store.busy = [("/webhooks", (500, {"Content-Type": "text/html"}, "<h1>error</h1>"))]
    with pytest.raises(StoreApiError):
        reconcile_store(woo_shop.id)


def test_the_store_country_is_named_in_the_store_language_and_an_unknown_code_kept():
    values = {
        "woocommerce_store_address": "ul. Prosta 1",
        "woocommerce_store_postcode": "00-001",
        "woocommerce_store_city": "Warszawa",
        "woocommerce_default_country": "PL:MZ",
    }
    assert store_address(values, "pl") == "ul. Prosta 1, 00-001 Warszawa, Polska"
    assert store_address(values, "en") == "ul. Prosta 1, 00-001 Warszawa, Poland"
    assert store_address(values, "ro") == "ul. Prosta 1, 00-001 Warszawa, Polonia"
    unknown = {**values, "woocommerce_default_country": "XK1"}
    assert store_address(unknown, "pl") == "ul. Prosta 1, 00-001 Warszawa, XK1"
