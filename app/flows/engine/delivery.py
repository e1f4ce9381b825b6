"""Deliver a step's message exactly once.

The message row is unique on (shop, run, step). Its life is pending -> sending -> sent (or
failed): "sending" is committed *before* the provider is called and carries a stable
Message-ID, the idempotency key the provider sees. A "sending" that is younger than the job
timeout belongs to a worker still at work and is left alone. An older one's worker is gone,
and what it left behind says what to do:

- the sender can tell whether it holds the Message-ID (the file outbox): its word;
- the channel records how far the SMTP dialogue got (``Message.send_stage``, written as each
  stage is reached): before the final dot of DATA the server cannot have the message, so it
  is sent again, with the same Message-ID; after the server's 250 it is sent;
- the final dot written, no answer heard: the one moment nobody can tell. The message is
  settled "uncertain" and **not** sent again; the run goes on as after a send, and support
  finds it under that status. "No email twice" is a promise to shoppers, a lost mail is not
  a broken one of theirs, and the window is a single round trip to the mail server, where a
  resend would turn each such kill into a certain duplicate for the far likelier case that
  the server had the message;
- a channel that tells no stages (SMSAPI, which itself refuses a second text with the same
  idx): counted as sent, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from app.connectors.base import DiscountRefused
from app.emails.compose import message_id_for
from app.emails.senders import SEND_STAGES
from app.flows.engine import runs
from app.flows.engine.channels import CHANNELS, PermanentFailure, TemporaryFailure
from app.flows.engine.definition import Flow, Settings, Step
from app.flows.engine.guards import recipient
from app.logs import fields as log_fields
from app.models import Customer, FlowRun, Message, Shop, ShopScope, db, utcnow
from app.models.sql import insert_ignoring_conflict

log = logging.getLogger(__name__)
# Longer than the step job's timeout: after it a "sending" row's worker is certainly gone.
SENDING_WINDOW = timedelta(minutes=5)
# A provider's "try later" (SMTP 4xx) backs off on the run's durable timer, then gives up.
RETRY_BACKOFF = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
_DONE = ("sent", "failed", "skipped", "uncertain")
# From this stage on the mail server may hold the message.
_MAYBE_HELD = SEND_STAGES.index("final_dot")
# A shop that could not make an honest discount code is asked again after this long.
DISCOUNT_RECHECK = timedelta(hours=1)


def _message(shop: Shop, flow: Flow, run: FlowRun, step: Step, settings: Settings) -> Message:
    meta: dict[str, object] = {"template": step.template}
    if flow.step_at_best_time(run.step, settings):
        # Sent at the customer's hour, not after the fixed delay: the send-time backtest
        # (app/insights/sendtime_eval.py) compares only fixed-delay sends.
        meta["best_time"] = True
    insert_ignoring_conflict(
        Message,
        {
            "shop_id": shop.id,
            "run_id": run.id,
            "flow_key": run.flow_key,
            "step": run.step,
            "channel": step.channel,
            "kind": "marketing" if flow.marketing else "transactional",
            "customer_id": run.customer_id,
            "recipient": recipient(run, step.channel) or "",
            "status": "pending",
            # The Message-ID itself: SMSAPI takes it as its idx, and it is unique by design.
            "idempotency_key": message_id_for(shop.id, run.id, run.step),
            "meta": meta,
        },
    )
    return db.session.scalars(
        ShopScope(shop.id)
        .select(Message, Message.run_id == run.id, Message.step == run.step)
        .with_for_update()
    ).one()


def deliver(shop: Shop, flow: Flow, run: FlowRun, settings: Settings, now: datetime) -> str:
    """Send the run's current step once, then schedule the next; commits."""
    step = flow.steps[run.step]
    message = _message(shop, flow, run, step, settings)
    if message.status in _DONE:
        outcome = runs.advance(run, flow, settings, now)
        db.session.commit()
        return f"already {message.status}:{outcome}"
    if message.status == "sending":
        if _sending_until(message) > now:
            db.session.commit()
            return "in flight"
        verdict = _after_a_lost_worker(shop, step.channel, message)
        if verdict == "sent":
            return _record_sent(shop, flow, run, message, settings, now, reconciled=True)
        if verdict == "uncertain":
            return _record_uncertain(flow, run, message, settings, now)
        log.warning(
            "message the provider never had is sent again",
            extra=log_fields(run=run.id, message_id=message.id, stage=message.send_stage),
        )
    if message.status == "pending":
        # The guards just checked the run's current address; a retry after "try later" must
        # go there, not to the one the row was first written with.
        message.recipient = recipient(run, step.channel) or message.recipient
    try:
        prepared = _prepare(shop, flow, run, step, message, settings, now)
    except DiscountRefused as exc:
        return _wait_for_the_merchant(shop, run, message, str(exc), now)
    except (ValueError, LookupError) as exc:
        # The shop lacks what the message needs (postal address, a connector for the code):
        # record why on the message, which an operator can see, instead of retrying forever.
        message.error = f"{type(exc).__name__}: {exc}"
        return _fail(flow, run, message, settings, now)
    channel = CHANNELS[step.channel]
    message.status, message.attempts = "sending", message.attempts + 1
    message.send_stage = SEND_STAGES[0] if channel.tells_stages else None
    message.meta = {**message.meta, "sending_until": (now + SENDING_WINDOW).isoformat()}
    run_id, message_id = run.id, message.id
    db.session.commit()  # "sending" is on record before the provider hears of it
    try:
        provider_id = channel.send(shop, prepared, progress=_stage_recorder(shop.id, message_id))
    except TemporaryFailure as exc:
        run, message = _relock(run_id, message_id)
        return _record_temporary(flow, run, message, str(exc), settings, now)
    except PermanentFailure as exc:
        run, message = _relock(run_id, message_id)
        message.error = str(exc)
        return _fail(flow, run, message, settings, now)
    run, message = _relock(run_id, message_id)
    message.provider_id = provider_id
    return _record_sent(shop, flow, run, message, settings, now, reconciled=False)


def _wait_for_the_merchant(
    shop: Shop, run: FlowRun, message: Message, error: str, now: datetime
) -> str:
    """The shop made a code we must not mail: the step waits (the message stays pending) and
    the merchant page says what to fix; the next code the shop makes honestly clears it."""
    # The code is only stored once the shop made it honestly, so nothing half-made is kept.
    locked = db.session.get(Shop, shop.id, with_for_update=True, populate_existing=True)
    if locked is not None and not locked.attention.discount_refused_at:
        locked.attention = replace(
            locked.attention, discount_refused_at=utcnow().isoformat(), discount_refused=error
        )
    message.error = error
    if run.state == "active":
        run.next_step_at, run.lease_until = now + DISCOUNT_RECHECK, None
        run.context = {**run.context, "deferred": "discount_refused"}
    db.session.commit()
    log.warning("discount refused by the shop; step waits", extra=log_fields(run=run.id))
    return "waiting: discount refused"


def _sending_until(message: Message) -> datetime:
    return datetime.fromisoformat(message.meta.get("sending_until", "1970-01-01T00:00:00+00:00"))


def _after_a_lost_worker(shop: Shop, channel: str, message: Message) -> str:
    """ "sent", "resend" or "uncertain" for a "sending" row whose worker is gone (see above)."""
    held = CHANNELS[channel].was_accepted(shop, message)
    if held is not None:
        return "sent" if held else "resend"
    stage = message.send_stage
    if stage is None or stage == "accepted":
        return "sent"
    return "uncertain" if SEND_STAGES.index(stage) >= _MAYBE_HELD else "resend"


def _stage_recorder(shop_id: int, message_id: int) -> Callable[[str], None]:
    """Commit each stage the sender reaches, so it outlives a worker killed mid-dialogue."""

    def record(stage: str) -> None:
        db.session.execute(
            ShopScope(shop_id).update(Message, Message.id == message_id).values(send_stage=stage)
        )
        db.session.commit()

    return record


def _prepare(
    shop: Shop,
    flow: Flow,
    run: FlowRun,
    step: Step,
    message: Message,
    settings: Settings,
    now: datetime,
) -> Any:
    context = flow.compose(shop, run, step, message, settings, now)
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
    locale = (customer.locale if customer else None) or shop.locale
    prepared = CHANNELS[step.channel].prepare(shop, message, step.template, context, locale)
    message.subject = prepared.subject
    return prepared


def _relock(run_id: int, message_id: int) -> tuple[FlowRun, Message]:
    run = runs.lock_run(run_id)
    message = db.session.get(Message, message_id, with_for_update=True, populate_existing=True)
    assert run is not None and message is not None
    return run, message


def _record_sent(
    shop: Shop,
    flow: Flow,
    run: FlowRun,
    message: Message,
    settings: Settings,
    now: datetime,
    *,
    reconciled: bool,
) -> str:
    message.status, message.sent_at = "sent", message.sent_at or now
    if reconciled:
        message.meta = {**message.meta, "reconciled": True}
        log.warning(
            "message reconciled as sent", extra=log_fields(run=run.id, message_id=message.id)
        )
    outcome = "sent:" + runs.advance(run, flow, settings, now) if run.state == "active" else "sent"
    db.session.commit()
    return outcome


def _record_uncertain(
    flow: Flow, run: FlowRun, message: Message, settings: Settings, now: datetime
) -> str:
    """The worker died between the final dot and the server's answer: not sent again (see
    above); the run goes on as after a send, and support sees the message's status."""
    message.status, message.sent_at = "uncertain", message.sent_at or now
    message.error = "worker lost after the final dot of DATA, before the server's answer"
    outcome = "uncertain"
    if run.state == "active":
        outcome += ":" + runs.advance(run, flow, settings, now)
    db.session.commit()
    log.warning("message settled as uncertain", extra=log_fields(run=run.id, message_id=message.id))
    return outcome


def _record_temporary(
    flow: Flow, run: FlowRun, message: Message, error: str, settings: Settings, now: datetime
) -> str:
    message.error = error
    if message.attempts > len(RETRY_BACKOFF):
        return _fail(flow, run, message, settings, now)
    message.status = "pending"
    if run.state == "active":
        run.next_step_at = now + RETRY_BACKOFF[message.attempts - 1]
        run.lease_until = None
    db.session.commit()
    log.info("provider asked to retry later", extra=log_fields(run=run.id, message_id=message.id))
    return "retry later"


def _fail(flow: Flow, run: FlowRun, message: Message, settings: Settings, now: datetime) -> str:
    """Refused for good: recorded, and the run stops (the address will not work), unless the
    step was an optional extra (the SMS), whose failure leaves the emails to go on."""
    message.status = "failed"
    outcome = "failed"
    if run.state == "active" and flow.steps[run.step].enabled_setting:
        outcome = "failed:" + runs.advance(run, flow, settings, now)
    elif run.state == "active":
        runs.end_run(run, "failed", "delivery_failed", now)
    db.session.commit()
    log.warning("message failed", extra=log_fields(run=run.id, message_id=message.id))
    return outcome
