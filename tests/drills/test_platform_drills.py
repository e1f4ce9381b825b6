"""A store whose host answers 429 and 503 for a while, during a catalog sync and while a
reminder's discount code is made: the work backs off and goes on later; nothing is marked
failed, nothing is done twice.

These drills run the jobs with RQ's own worker in this process: the store is faked over HTTP
with ``responses`` (tests/support/fake_store.py), which a worker process could not see.
"""

from __future__ import annotations

import pytest
from rq.job import Job

from app.connectors.woocommerce.client import StoreApiError
from app.connectors.woocommerce.sync import sync_catalog
from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import Discount, FlowRun, Message, Product, Shop, ShopScope, db
from app.models.shop_settings import LegalAddress
from app.pipeline import queues
from tests.drills.conftest import sized
from tests.support.fake_store import SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS
from tests.support.woocommerce import load


def test_a_store_busy_while_a_code_is_made_defers_the_reminder_which_then_goes_once(
    woo_shop, fake_store, post_plugin_event, run_jobs, tick, mailbox, app
):
    woo_shop.legal_address = LegalAddress("Sklep, ul. Mokotowska 1, 00-640 Warszawa")
    save_settings(woo_shop.id, abandoned_cart.FLOW, {"holdout_percent": 0}, enabled=True)
    db.session.commit()
    assert post_plugin_event("cart.updated", load("cart_updated.json")).status_code == 200
    assert run_jobs("events") == 1
    tick(minutes=61)
    tick(hours=23)
    assert len(mailbox.received) == 2

    fake_store.busy = [("/coupons", TOO_MANY_REQUESTS), ("/coupons", SERVICE_UNAVAILABLE)]
    tick(hours=48)  # the third reminder's code: 429
    lease = app.config["RUN_LEASE_SECONDS"] // 60 + 1
    tick(minutes=lease)  # its lease lapsed: tried again, 503
    assert len(mailbox.received) == 2 and fake_store.busy == []
    (run,) = ShopScope(woo_shop.id).all(FlowRun)
    assert (run.state, run.step) == ("active", 3)  # deferred, not failed
    assert ShopScope(woo_shop.id).all(Message, Message.status == "failed") == []

    tick(minutes=lease)  # the store answers again
    assert len(mailbox.received) == 3
    (discount,) = ShopScope(woo_shop.id).all(Discount)
    assert [c["code"] for c in fake_store.coupons] == [discount.code.lower()]
    assert discount.code in mailbox.received[2].get_body(("plain",)).get_content()
    assert ShopScope(woo_shop.id).all(Message, Message.status == "failed") == []


def test_a_store_busy_during_a_catalog_sync_backs_off_and_the_retry_finishes_it(
    woo_shop, fake_store, run_jobs, redis_conn
):
    products = sized(250, 2500)
    fake_store.add_products(products)
    fake_store.busy = [("page=2", TOO_MANY_REQUESTS)]
    job = queues.enqueue(sync_catalog, woo_shop.id)

    assert run_jobs("sync") == 0  # page 2 was refused
    job = Job.fetch(job.id, connection=redis_conn)
    # RQ holds the retry for its backoff (60 s): scheduled, not failed for good.
    assert job.get_status() == "scheduled" and job.retries_left == 2
    db.session.expire_all()
    progress = db.session.get(Shop, woo_shop.id).sync_state.to_json()
    assert (progress["status"], progress["done_pages"]) == ("running", [1])  # kept, resumable

    fake_store.busy = [("page=3", SERVICE_UNAVAILABLE)]
    with pytest.raises(StoreApiError, match="503"):
        sync_catalog(woo_shop.id)  # the retry, 60 s on: a 503 on the next page
    result = sync_catalog(woo_shop.id)  # the next retry, once the store is back

    assert result["status"] == "done"
    db.session.expire_all()
    assert len(ShopScope(woo_shop.id).all(Product)) == products
