"""Drill fix 1: an order stored (answered 200) but not yet applied by a worker holds back the
reminders it may concern; the send-time guard reads the stored deliveries too."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import FlowRun, WebhookDelivery, db
from tests.support.flows import cart_payload, order_payload

SHOPPER = "ania@example.com"


def _run() -> FlowRun:
    db.session.expire_all()
    return db.session.scalars(sa.select(FlowRun)).one()


def _unapplied() -> list[str]:
    rows = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.status == "received")
    )
    return [row.topic for row in rows]


def test_stored_but_unapplied_order_holds_back_the_due_reminder(
    flow_shop, shop_events, post_demo_webhook, run_jobs, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    # The order arrives as the reminder falls due; the worker has not applied it yet.
    order = order_payload("o-1", "c-1", SHOPPER, "477.00")
    assert post_demo_webhook("order/created", order, delivery_id="o-d-1").status_code == 200
    assert _unapplied() == ["order/created"]
    tick(minutes=61)
    assert mailbox.received == []
    run = _run()
    assert run.state == "active" and run.context["deferred"] == "order_pending"
    # Once applied, the order stops the run: still no mail.
    run_jobs("events")
    tick(minutes=2)
    assert mailbox.received == []
    run = _run()
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_unapplied_order_found_by_email_when_the_order_names_no_cart(
    flow_shop, shop_events, post_demo_webhook, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    order = order_payload("o-1", None, "Ania@Example.com", "477.00")
    assert post_demo_webhook("order/created", order, delivery_id="o-d-1").status_code == 200
    tick(minutes=61)
    assert mailbox.received == []
    assert _run().context["deferred"] == "order_pending"


def test_unapplied_order_of_another_shopper_does_not_hold_the_reminder(
    flow_shop, shop_events, post_demo_webhook, tick, mailbox
):
    shop_events("cart/updated", cart_payload())
    other = order_payload("o-2", "c-other", "someone@else.example", "99.00")
    assert post_demo_webhook("order/created", other, delivery_id="o-d-2").status_code == 200
    tick(minutes=61)
    assert [mail["To"] for mail in mailbox.received] == [SHOPPER]
