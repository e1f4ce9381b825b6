"""Drills on one steady ``rq worker`` process: Redis flushed mid-send, a mail server that says
"try later" for a while or "no such user" for good, two ``rq cron`` processes at once, and
orders that arrive just before, or before an older cart update of, their reminders."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa
from rq.registry import FinishedJobRegistry

from app.models import FlowRun, Message, utcnow
from app.pipeline import queues
from app.pipeline.periodic import minute_tick
from tests.drills.conftest import (
    count_messages,
    enrolled,
    minutes_pass,
    scalar,
    sized,
    wait_for,
)
from tests.support.flows import cart_payload, order_payload

RUN_ENDED = sa.select(sa.func.count()).select_from(FlowRun).where(FlowRun.state != "active")


def test_redis_flushed_mid_send_every_reminder_goes_once(
    drill_shop, drill_mail, steady_worker, abandon_carts, redis_conn
):
    shoppers = sized(20, 300)
    drill_mail.handler.delay = 0.02
    abandon_carts(shoppers)
    wait_for("carts enrolled", enrolled(shoppers), steady_worker)
    minute_tick()
    wait_for(
        "a third sent", lambda: len(drill_mail.handler.arrivals) >= shoppers // 3, steady_worker
    )
    redis_conn.flushdb()  # every queued step is gone
    assert len(drill_mail.handler.arrivals) < shoppers

    # The next minute tick, as cron runs it a minute on: the steps leased before the flush
    # whose jobs Redis no longer holds are queued again, without waiting out their lease.
    assert minute_tick(utcnow() + timedelta(minutes=1))["runs_recovered"] > 0
    wait_for(
        "every reminder",
        lambda: count_messages("sent") == shoppers,
        steady_worker,
        timeout=sized(60, 600),
    )
    ids = Counter(drill_mail.handler.message_ids())
    assert len(ids) == shoppers and max(ids.values()) == 1


def test_orders_posted_just_before_their_reminders_stop_every_one(
    drill_shop, drill_mail, steady_worker, abandon_carts, post_demo_webhook
):
    buyers = sized(10, 50)
    shoppers = abandon_carts(buyers + 1)  # the last one does not buy: the reminders do go
    wait_for("carts enrolled", enrolled(buyers + 1), steady_worker)
    answered = {}
    for n, shopper in enumerate(shoppers[:buyers]):
        order = order_payload(f"o-{n}", f"c-{n}", shopper, "477.00")
        assert post_demo_webhook("order/created", order, delivery_id=f"o-{n}").status_code == 200
        answered[shopper] = time.time()
    minute_tick()  # the reminders fall due right after the orders were answered 200
    wait_for("the non-buyer's reminder", lambda: count_messages("sent") >= 1, steady_worker)
    wait_for("every buyer's run ended", lambda: scalar(RUN_ENDED) == buyers, steady_worker)

    after_purchase = [
        a for a in drill_mail.handler.arrivals if a.to in answered and a.at > answered[a.to]
    ]
    assert after_purchase == []
    assert [a.to for a in drill_mail.handler.arrivals] == [shoppers[-1]]


def test_an_order_then_an_older_cart_update_sends_no_reminder(
    drill_shop, drill_mail, steady_worker, abandon_carts, post_demo_webhook
):
    buyer = "buyer@example.com"
    order = order_payload("o-1", "c-old", buyer, "477.00")
    assert post_demo_webhook("order/created", order, delivery_id="o-1").status_code == 200
    # The platform delivers an update of the same cart made before the order, late.
    stale = cart_payload("c-old", email_address=buyer, at=utcnow() - timedelta(minutes=90))
    assert post_demo_webhook("cart/updated", stale, delivery_id="stale").status_code == 200
    [control] = abandon_carts(1)
    wait_for("the other cart enrolled", enrolled(1), steady_worker)
    minute_tick()
    wait_for("the other shopper's reminder", lambda: count_messages("sent") == 1, steady_worker)
    assert [a.to for a in drill_mail.handler.arrivals] == [control]
    assert scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_smtp_421_for_a_while_then_every_reminder_is_delivered_once_and_none_failed(
    drill_shop, drill_mail, steady_worker, abandon_carts
):
    shoppers = sized(5, 30)
    outages = sized(1, 2)  # the server says "try later" at the first attempt(s)
    abandon_carts(shoppers)
    wait_for("carts enrolled", enrolled(shoppers), steady_worker)
    drill_mail.handler.outage_until = time.time() + 3600
    for attempt in range(1, outages + 1):
        minute_tick()
        retrying = sa.select(sa.func.count()).where(
            Message.status == "pending", Message.attempts == attempt
        )
        wait_for(
            f"attempt {attempt} refused",
            lambda: scalar(retrying.select_from(Message)) == shoppers,  # noqa: B023
            steady_worker,
        )
        minutes_pass([5, 30][attempt - 1])  # the backoff on the run's timer
    drill_mail.handler.outage_until = 0.0  # the server is back
    minute_tick()
    wait_for("every reminder", lambda: count_messages("sent") == shoppers, steady_worker)
    assert count_messages("failed") == 0
    ids = Counter(drill_mail.handler.message_ids())
    assert len(ids) == shoppers and max(ids.values()) == 1
    assert drill_mail.handler.rcpt_calls == shoppers * (outages + 1)


def test_smtp_550_fails_each_reminder_once_and_never_retries_it(
    drill_shop, drill_mail, steady_worker, abandon_carts
):
    shoppers = sized(3, 20)
    drill_mail.handler.rcpt_reply = "550 5.1.1 No such user here"
    abandon_carts(shoppers)
    wait_for("carts enrolled", enrolled(shoppers), steady_worker)
    minute_tick()
    wait_for("every reminder failed", lambda: count_messages("failed") == shoppers, steady_worker)
    for _ in range(3):  # days pass: nothing is tried again
        minutes_pass(24 * 60)
        assert minute_tick()["runs_enqueued"] == 0
    assert drill_mail.handler.rcpt_calls == shoppers
    assert drill_mail.handler.arrivals == []
    assert scalar(RUN_ENDED) == shoppers  # the runs stopped: the address does not work


def test_two_cron_processes_at_once_schedule_each_reminder_once(
    drill_shop, drill_mail, steady_worker, processes, abandon_carts, redis_conn
):
    shoppers = sized(10, 100)
    abandon_carts(shoppers)
    wait_for("carts enrolled", enrolled(shoppers), steady_worker)
    # Both schedulers enqueue the minute tick as they start, then every minute.
    processes.cron()
    processes.cron()
    ticks = FinishedJobRegistry("events", connection=redis_conn)

    def both_ticked() -> bool:
        names = [queues.queue("events").fetch_job(i) for i in ticks.get_job_ids()]
        return sum(j is not None and j.func_name.endswith("minute_tick") for j in names) >= 2

    wait_for("both cron processes' ticks", both_ticked, steady_worker)
    wait_for("every reminder", lambda: count_messages("sent") == shoppers, steady_worker)
    ids = Counter(drill_mail.handler.message_ids())
    assert len(ids) == shoppers and max(ids.values()) == 1
