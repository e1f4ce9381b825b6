"""A code the store will not keep honestly (WooCommerce dropping the expiry we promise) is never
mailed: the step waits, the merchant page says what to fix, and the next honest code goes out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import Discount, FlowRun, Message, Shop, ShopScope, db
from app.models.shop_settings import LegalAddress
from tests.support.woocommerce import load

WAITING_PL = "Twój sklep nie zachował daty ważności"


def test_a_code_without_its_expiry_is_not_mailed_the_step_waits_and_the_merchant_is_told(
    woo_shop, fake_store, post_plugin_event, run_jobs, tick, mailbox, merchant
):
    woo_shop.legal_address = LegalAddress("Sklep, ul. Mokotowska 1, 00-640 Warszawa")
    woo_shop.locale = "pl"
    save_settings(woo_shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    fake_store.ignores_expiry = True  # a plugin in the store loses coupon expiry dates

    assert post_plugin_event("cart.updated", load("cart_updated.json")).status_code == 200
    assert run_jobs("events") == 1
    tick(minutes=61)
    tick(hours=23)
    assert len(mailbox.received) == 2
    tick(hours=48)  # the third reminder carries a code

    assert len(mailbox.received) == 2  # not mailed with a date the store does not keep
    (run,) = ShopScope(woo_shop.id).all(FlowRun)
    third = max(ShopScope(woo_shop.id).all(Message), key=lambda m: m.step)
    assert run.state == "active" and run.next_step_at is not None
    assert third is not None and third.status == "pending" and "without expiry" in third.error
    assert ShopScope(woo_shop.id).all(Discount) == []
    page = merchant(woo_shop).get("/embedded/")
    assert page.status_code == 200 and WAITING_PL in page.get_data(as_text=True)

    fake_store.ignores_expiry = False  # the merchant fixed the store
    tick(hours=1, minutes=1)  # the same step job id runs again (RQ counts it once)

    assert len(mailbox.received) == 3
    (discount,) = ShopScope(woo_shop.id).all(Discount)
    assert discount.code in mailbox.received[2].get_body(("plain",)).get_content()
    (coupon,) = [c for c in fake_store.coupons if c["code"] == discount.code.lower()]
    assert coupon["date_expires_gmt"] is not None
    assert abs(discount.expires_at - run_expiry(coupon)) < timedelta(minutes=1)
    db.session.expire_all()
    assert not db.session.get(Shop, woo_shop.id).attention.discount_refused_at
    page = merchant(woo_shop).get("/embedded/").get_data(as_text=True)
    assert WAITING_PL not in page
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 3


def run_expiry(coupon: dict) -> datetime:
    return datetime.fromisoformat(coupon["date_expires_gmt"]).replace(tzinfo=UTC)
