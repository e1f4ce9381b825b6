"""Drill fix 2: steps leased before a Redis flush are enqueued again within two minute ticks,
not after their 10-minute lease; a step whose job Redis still holds is not doubled."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from rq import Queue

from app.flows.engine.timers import enqueue_due_runs
from app.models import FlowRun, db
from app.pipeline.periodic import minute_tick
from tests.support.flows import cart_payload

SHOPPER = "ania@example.com"


def test_steps_leased_before_a_redis_flush_are_sent_within_two_ticks(
    app, flow_shop, sim_clock, shop_events, run_jobs, redis_conn, mailbox
):
    shop_events("cart/updated", cart_payload())
    sim_clock.advance(minutes=61)
    assert enqueue_due_runs(sim_clock.now()) == 1  # leased for RUN_LEASE_SECONDS, queued
    redis_conn.flushdb()  # the queued step is gone with it
    lease = timedelta(seconds=app.config["RUN_LEASE_SECONDS"])
    assert lease >= timedelta(minutes=5)
    recovered = 0
    for _ in range(2):  # two minute ticks, well inside the lease
        recovered += minute_tick(sim_clock.advance(minutes=1)).get("runs_recovered", 0)
        run_jobs("flows")
    assert [mail["To"] for mail in mailbox.received] == [SHOPPER]
    assert recovered == 1
    db.session.expire_all()
    run = db.session.scalars(sa.select(FlowRun)).one()
    assert run.step > 0  # the first reminder is behind it


def test_a_step_still_queued_in_redis_is_not_enqueued_twice(
    flow_shop, sim_clock, shop_events, run_jobs, redis_conn, mailbox
):
    shop_events("cart/updated", cart_payload())
    sim_clock.advance(minutes=61)
    assert enqueue_due_runs(sim_clock.now()) == 1
    for _ in range(2):
        assert minute_tick(sim_clock.advance(minutes=1)).get("runs_recovered", 0) == 0
    assert Queue("flows", connection=redis_conn).count == 1
    run_jobs("flows")
    assert [mail["To"] for mail in mailbox.received] == [SHOPPER]
