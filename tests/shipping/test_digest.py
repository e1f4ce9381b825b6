"""The merchant's morning digest of yesterday's delivery problems and returns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.connectors.couriers.base import TrackingStatus
from app.models import AuditLog, Shipment, ShopScope, db
from app.models.shop_settings import MerchantContact
from app.shipping import tracking
from app.shipping.digest import daily_tracking_digest, send_tracking_digest
from tests.support.demo import outbox_mails

YESTERDAY = datetime(2026, 11, 28, 15, tzinfo=UTC)
MORNING = datetime(2026, 11, 29, 6, tzinfo=UTC)


@pytest.fixture()
def troubled(shop, make_orders) -> Shipment:
    [order_id] = make_orders(1)
    shipment = ShopScope(shop.id).add(
        Shipment(
            order_id=order_id,
            courier="fan_courier",
            status="created",
            idempotency_key="k",
            tracking_number="2347300120337",
            tracking_status="in_transit",
            request={},
        )
    )
    shop.merchant_contact = MerchantContact(email="owner@shop.example")
    db.session.commit()
    answer = TrackingStatus("exception", "S6 Refuz primire", "2026-11-28 14:00:00")
    tracking.record(shipment, answer, YESTERDAY)
    return shipment


def test_yesterdays_exception_reaches_the_merchant_once_in_their_language(
    shop, troubled, run_jobs, outbox
):
    assert daily_tracking_digest(MORNING) == 1
    run_jobs("labels")
    assert send_tracking_digest(shop.id, "2026-11-28") == "already sent"  # a retry

    [mail] = outbox_mails(outbox)
    assert mail["To"] == "owner@shop.example"
    assert mail["Subject"].startswith("Przesyłki wymagające uwagi: 1")  # the shop's pl
    body = mail.get_body(("plain",)).get_content()
    assert "#7000 · FAN Courier 2347300120337: Problem z doręczeniem" in body
    assert "Zobacz je w Storeflow, w zakładce Etykiety, w panelu sklepu" in body
    assert "/labels/shop/" not in body  # no signed link opens the labels any more
    assert len(ShopScope(shop.id).all(AuditLog, AuditLog.action == "tracking_digest")) == 1


def test_no_digest_when_yesterday_was_quiet(shop, troubled, run_jobs, outbox):
    assert daily_tracking_digest(datetime(2026, 12, 5, 6, tzinfo=UTC)) == 0
    assert send_tracking_digest(shop.id, "2026-12-04") == "nothing to send"
    assert not outbox.exists() or outbox_mails(outbox) == []
