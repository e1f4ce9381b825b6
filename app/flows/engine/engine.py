"""How runs advance. The flow modules declare what happens; this module makes it happen.

``dispatch(event)`` enrolls subjects, restarts their clock or cancels their runs; ``run_step``
(enqueued by the minute tick when a run's durable timer is due) re-checks everything under the
run's row lock and then sends, defers, skips or stops.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from flask import current_app
from rq import Retry

from app.events.apply import cancel_runs
from app.events.types import Event
from app.flows.engine import clock, guards, runs
from app.flows.engine.definition import Enrollment, Flow, Settings
from app.flows.engine.delivery import deliver
from app.flows.engine.runs import anchor_of, due_at, end_run, first_enabled_step, lock_run
from app.flows.engine.settings import is_switched_on, settings_for
from app.flows.registry import FLOWS, flow_for
from app.logs import fields as log_fields
from app.models import Customer, FlowRun, Shop, ShopScope, db
from app.models.flows import may_have_active_runs, note_active_run
from app.models.sql import insert_ignoring_conflict
from app.pipeline import queues

log = logging.getLogger(__name__)
_SKIP_OPTIONAL = frozenset({"channel_unavailable", "consent_missing", "no_contact", "unsubscribed"})


def is_held_out(shop_id: int, subject_key: str, percent: int) -> bool:
    """Deterministic: the same shop and subject always land on the same side of the holdout."""
    digest = hashlib.sha256(f"{shop_id}:{subject_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100


def ranks() -> dict[str, int]:
    return {flow.key: flow.rank for flow in FLOWS}


def dispatch(event: Event) -> None:
    """Cancel the runs the event stops, then enroll (or restart) the subjects it triggers."""
    shop = db.session.get(Shop, event.shop_id)
    if shop is None:
        return
    for flow in FLOWS:
        stop = flow.stop_rules.get(type(event))
        if stop is not None and may_have_active_runs(shop.id, flow.key):
            reason, rule = stop
            criteria = rule(event)
            if criteria:
                cancel_runs(shop.id, reason, FlowRun.flow_key == flow.key, *criteria)
        trigger = flow.triggers.get(type(event))
        if trigger is None or shop.status != "active" or not is_switched_on(shop.id, flow):
            continue
        settings = settings_for(shop.id, flow)
        for enrollment in trigger(event, settings):
            start(shop.id, flow, enrollment, settings)


def enroll(shop_id: int, flow: Flow, enrollment: Enrollment, settings: Settings) -> FlowRun:
    """The subject's one active run: created, or its clock restarted from the newer anchor."""
    run = ShopScope(shop_id).get(FlowRun, start(shop_id, flow, enrollment, settings))
    assert run is not None  # this transaction created or locked it
    return run


def start(shop_id: int, flow: Flow, enrollment: Enrollment, settings: Settings) -> int:
    """``enroll``, giving the run's id: a run it creates is not loaded (the events a worker
    applies start runs by the thousand and act on none of them)."""
    scope = ShopScope(shop_id)
    first = first_enabled_step(flow, 0, settings)
    if first is None:
        raise ValueError(f"flow {flow.key} has no enabled step")
    # The session's pending changes first (a run it ended no longer holds the subject's place).
    db.session.flush()
    created = insert_ignoring_conflict(
        FlowRun,
        {
            "shop_id": shop_id,
            "flow_key": flow.key,
            "subject_key": enrollment.subject_key,
            "customer_id": enrollment.customer_id,
            "state": "active",
            "step": first,
            "next_step_at": due_at(flow, first, enrollment.anchor, settings),
            # A transactional message is owed to the customer: no holdout group goes without.
            "held_out": flow.marketing
            and is_held_out(shop_id, enrollment.subject_key, int(settings["holdout_percent"])),
            "context": {**enrollment.context, "anchor": enrollment.anchor.isoformat()},
            "started_at": clock.now(),
        },
    )
    if created is not None:
        note_active_run(shop_id, flow.key, enrollment.subject_key)
        return created
    run = db.session.scalars(
        scope.select(
            FlowRun,
            FlowRun.flow_key == flow.key,
            FlowRun.subject_key == enrollment.subject_key,
            FlowRun.state == "active",
        ).with_for_update()
    ).one()
    if enrollment.anchor > anchor_of(run):
        # Activity while we wait restarts the clock of the step not yet sent.
        run.context = {**run.context, **enrollment.context, "anchor": enrollment.anchor.isoformat()}
        run.customer_id = enrollment.customer_id or run.customer_id
        run.next_step_at = due_at(flow, run.step, enrollment.anchor, settings)
        run.lease_until = None
    return run.id


def advance(run: FlowRun, flow: Flow, settings: Settings, now: datetime) -> str:
    """``runs.advance``, and a step due at once is queued now rather than at the next tick."""
    outcome = runs.advance(run, flow, settings, now)
    _queue_if_due(run, now)
    return outcome


def _queue_next_if_due(run_id: int, now: datetime) -> None:
    """After a delivery moved the run on (and committed), queue a step that is due at once."""
    run = lock_run(run_id)
    if run is not None:
        _queue_if_due(run, now)
    db.session.commit()


def _queue_if_due(run: FlowRun, now: datetime) -> None:
    # Due at once (the SMS beside the first email): no need to wait for the minute tick.
    leased = run.lease_until is not None and run.lease_until > now
    due = run.next_step_at is not None and run.next_step_at <= now
    if run.state == "active" and due and not leased:
        run_now(run, now)


def run_now(run: FlowRun, now: datetime) -> None:
    """Lease the run and queue its step once the caller commits, instead of waiting for the
    minute tick (which still picks the step up if Redis loses the job: the lease lapses)."""
    run.lease_until = now + timedelta(seconds=current_app.config["RUN_LEASE_SECONDS"])
    queues.enqueue_after_commit(
        db.session(), run_step, run.id, job_id=f"run-{run.id}-step-{run.step}"
    )


@queues.job("flows", timeout=120, retry=Retry(max=3, interval=[30, 120, 600]))
def run_step(run_id: int) -> str:
    """Run the due step of a run. Safe to run twice: the step is checked under the row lock."""
    run = lock_run(run_id)
    now = clock.now()
    if run is None or run.state != "active":
        db.session.commit()
        return "not active"
    if run.next_step_at is None or run.next_step_at > now:
        run.lease_until = None
        db.session.commit()
        return "not due"
    flow = flow_for(run.flow_key)
    shop = db.session.get(Shop, run.shop_id)
    if flow is None or shop is None:
        end_run(run, "cancelled", "flow_unknown", now)
        db.session.commit()
        log.warning(
            "run of an unknown flow cancelled", extra=log_fields(run=run_id, flow=run.flow_key)
        )
        return "cancelled"
    with ShopScope(shop.id).guard():
        outcome = _step(shop, flow, run, now)
    log.info("flow step", extra=log_fields(shop=shop.id, run=run_id, outcome=outcome))
    return outcome


def _step(shop: Shop, flow: Flow, run: FlowRun, now: datetime) -> str:
    settings = settings_for(shop.id, flow)
    step = flow.steps[run.step]
    if not flow.step_is_enabled(run.step, settings):
        outcome = "skipped:" + advance(run, flow, settings, now)
    elif run.held_out:
        # The holdout group goes through the same timeline without a single message.
        outcome = "held out:" + advance(run, flow, settings, now)
    else:
        if run.customer_id:
            # One person's runs check the frequency cap one at a time: two workers taking two
            # of their carts at once would otherwise both find nothing sent and both send.
            ShopScope(shop.id).get(Customer, run.customer_id, for_update=True)
        verdict = guards.check(shop, flow, run, step.channel, settings, now, ranks())
        if verdict is None:
            outcome = deliver(shop, flow, run, settings, now)  # commits
            _queue_next_if_due(run.id, now)
            return outcome
        if verdict.stop and step.enabled_setting and verdict.stop in _SKIP_OPTIONAL:
            # An optional step (the SMS) the shopper cannot get is skipped, not the whole run.
            outcome = f"skipped ({verdict.stop}):" + advance(run, flow, settings, now)
        elif verdict.stop:
            end_run(run, "cancelled", verdict.stop, now)
            outcome = "stopped:" + verdict.stop
        else:
            run.next_step_at, run.lease_until = verdict.defer_until, None
            deferrals = int(run.context.get("deferrals", 0)) + 1
            run.context = {**run.context, "deferrals": deferrals, "deferred": verdict.reason}
            outcome = "deferred"
    db.session.commit()
    return outcome
