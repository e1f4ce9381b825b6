"""Workers killed with SIGKILL mid-send: every reminder reaches the SMTP server once, never
twice, and the one moment nobody can tell (the final dot sent, no answer yet) is settled as
app/flows/engine/delivery.py documents: "uncertain", not sent again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from app.emails.compose import message_id_of
from app.models import FlowRun, Message, WebhookDelivery, db, utcnow
from app.pipeline import ingest
from app.pipeline.periodic import minute_tick
from tests.drills.conftest import count_messages, enrolled, minutes_pass, scalar, sized, wait_for


def _messages() -> list[Message]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Message).order_by(Message.id)))


def _stages() -> set[str]:
    return set(db.session.scalars(sa.select(Message.send_stage).where(Message.status == "sending")))


def test_a_worker_killed_before_the_server_had_the_mail_resends_it_and_after_the_dot_does_not(
    drill_shop, drill_mail, processes, abandon_carts
):
    handler = drill_mail.handler
    # The first session is held at RCPT (the server cannot have the mail yet); the second
    # after DATA's final dot (the server has it; its "250" never reaches the worker).
    handler.holds = ["rcpt", "data"]
    victims = [processes.worker("events", "flows"), processes.worker("events", "flows")]
    abandon_carts(2)
    wait_for("two carts enrolled", enrolled(2), processes)
    assert minute_tick()["runs_enqueued"] == 2

    def both_held() -> bool:
        db.session.rollback()
        return sorted(handler.held) == ["data", "rcpt"] and _stages() == {"mail_from", "final_dot"}

    wait_for("both workers mid-dialogue", both_held, processes)
    for victim in victims:
        processes.kill(victim)
    handler.release.set()
    assert len(handler.arrivals) == 1  # the mail whose final dot was in
    assert count_messages("sending") == 2

    minutes_pass(15)  # the runs' leases and the "sending" windows lapse
    processes.worker("events", "flows")
    minute_tick()
    wait_for("both messages settled", lambda: count_messages("sending") == 0, processes)

    by_stage = {m.status: m for m in _messages()}
    assert set(by_stage) == {"sent", "uncertain"}
    resent, uncertain = by_stage["sent"], by_stage["uncertain"]
    assert (resent.attempts, resent.send_stage) == (2, "accepted")
    assert uncertain.attempts == 1
    # Exactly one mail per Message-ID: the one the server never had went again (same id),
    # the one it had was not sent twice.
    assert Counter(handler.message_ids()) == {message_id_of(resent): 1, message_id_of(uncertain): 1}


def test_worker_killed_mid_batch_every_reminder_reaches_the_server_once(
    drill_shop, drill_mail, processes, abandon_carts
):
    shoppers = sized(12, 60)
    handler = drill_mail.handler
    handler.delay = 0.05  # the server takes a moment per mail: the kill lands mid-batch
    victim = processes.worker("events", "flows")
    abandon_carts(shoppers)
    wait_for("carts enrolled", enrolled(shoppers), processes)
    minute_tick()
    wait_for("a third of the batch", lambda: len(handler.arrivals) >= shoppers // 3, processes)
    processes.kill(victim)
    assert len(handler.arrivals) < shoppers

    minutes_pass(15)
    processes.worker("events", "flows")
    minute_tick()
    settled = sa.select(sa.func.count()).where(Message.status.in_(("sent", "uncertain")))
    wait_for(
        "every reminder settled",
        lambda: scalar(settled.select_from(Message)) == shoppers,
        processes,
        timeout=120,
    )

    ids = Counter(handler.message_ids())
    assert max(ids.values()) == 1  # nobody got a reminder twice
    messages = _messages()
    sent = {message_id_of(m) for m in messages if m.status == "sent"}
    assert sent <= set(ids)  # every "sent" is at the server
    # At most the one the kill caught between the final dot and the answer is "uncertain";
    # the server's delay sits after the dot (the mail already queued), so it has that one.
    assert sum(m.status == "uncertain" for m in messages) <= 1
    assert len(ids) == shoppers


def test_a_worker_killed_mid_drain_leaves_no_delivery_half_applied_or_applied_twice(
    drill_shop, processes, abandon_carts
):
    shoppers = sized(300, 1_000)
    abandon_carts(shoppers)  # stored, and one drain job queued to wake a worker
    processed = (
        sa.select(sa.func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.status == "processed")
    )
    victim = processes.worker("events")
    wait_for("a first batch committed", lambda: scalar(processed) >= 1, processes)
    processes.kill(victim)
    done = scalar(processed)
    assert done < shoppers
    assert done % ingest.BATCH_SIZE == 0  # whole batches or nothing: none half-applied
    assert scalar(sa.select(sa.func.count()).select_from(FlowRun)) == done

    processes.worker("events")
    minute_tick(utcnow() + timedelta(minutes=3))  # in case the killed drain took its wake-up
    wait_for("every delivery", lambda: scalar(processed) == shoppers, processes, timeout=120)
    runs = sa.select(FlowRun.subject_key, sa.func.count()).group_by(FlowRun.subject_key)
    with db.engine.connect() as conn:
        per_cart = dict(conn.execute(runs).all())
    assert len(per_cart) == shoppers and set(per_cart.values()) == {1}
