"""Best send time: the hour of day (shop's timezone) each customer is best written to.

Learned nightly from what the customer did and when: the emails they opened, the links they
clicked (a click also stamps an open, so clicks weigh twice) and the orders they placed, over
the last year. One statement per shop counts them by customer and local hour (PostgreSQL's
``timezone()``, so summer and winter time each count on their own date's offset); the blend
below picks each customer's hour, and the shop's rows are replaced in one transaction.

The blend, per customer: their own counts, topped up to ``K`` events with the shop's hour
histogram as a prior (Dirichlet-style pseudo-counts: ``max(K - n, 0)`` events spread as the
shop's are). With nothing of their own the shop's hour decides; from ``K`` events on, only
theirs. ``K = 5`` because a single open is a weak witness: Apple Mail and some webmail fetch
the pixel when the mail arrives, not when it is read, and one evening order says little about
someone's day. Two or three events at one hour outweigh a shop of ordinary spread; one
stray event does not move a customer off the shop's hour. Each hour's score counts its
neighbours at half weight (``2·c[h] + c[h-1] + c[h+1]``), because what matters is being read
within about an hour of the send: 19:50 and 20:10 back each other up.

``next_in_hour`` is the scheduling rule the flow engine (``app/flows/engine/best_time.py``)
and the backtest (``sendtime_eval.py``) share: the first moment at or after a time whose local
hour is the customer's (a day without that hour, at a DST change, is skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from rq import Retry

from app.logs import fields as log_fields
from app.models import Message, Order, PreferredHour, Shop, ShopScope, db, utcnow
from app.models.shop_settings import SendTimePrior
from app.models.sql import local_hour
from app.pipeline import queues

log = logging.getLogger(__name__)

# Below this many events of their own, a customer's hour leans on the shop's (see above).
K = 5
LOOKBACK = timedelta(days=365)
HOURS = 24

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def activity_times(shop_id: int, since: datetime) -> sa.CompoundSelect:
    """(customer id, time, message id or NULL for an order) of every open, click and order of
    the shop's customers since ``since``: the evidence of when each one is about."""
    scope = ShopScope(shop_id)
    known = Message.customer_id.is_not(None)
    parts = [
        scope.select(Message, known, column.is_not(None), column >= since).with_only_columns(
            Message.customer_id.label("customer_id"),
            column.label("at"),
            Message.id.label("message_id"),
        )
        for column in (Message.opened_at, Message.clicked_at)
    ]
    orders = scope.select(
        Order, Order.customer_id.is_not(None), Order.placed_at >= since
    ).with_only_columns(
        Order.customer_id.label("customer_id"),
        Order.placed_at.label("at"),
        sa.cast(sa.null(), sa.Integer).label("message_id"),
    )
    return sa.union_all(*parts, orders)


def hour_counts(shop_id: int, zone: str, since: datetime) -> sa.Select[Any]:
    """(customer id, local hour, events) for the shop's customers: one statement."""
    events = activity_times(shop_id, since).subquery("activity")
    hour = local_hour(events.c.at, sa.literal(zone)).label("hour")
    return (
        sa.select(events.c.customer_id, hour, sa.func.count().label("events"))
        .group_by(events.c.customer_id, hour)
        .order_by(events.c.customer_id)
    )


def count_matrix(rows: Sequence[tuple[int, int, int]]) -> tuple[IntArray, IntArray]:
    """(customer ids ascending, one row of 24 hour counts per customer)."""
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, HOURS), dtype=np.int64)
    data = np.asarray(rows, dtype=np.int64)
    customers, row = np.unique(data[:, 0], return_inverse=True)
    counts = np.zeros((customers.size, HOURS), dtype=np.int64)
    np.add.at(counts, (row, data[:, 1] % HOURS), data[:, 2])
    return customers, counts


def _near(counts: npt.NDArray[Any]) -> FloatArray:
    """Each hour with its neighbours at half weight (midnight wraps round)."""
    c = counts.astype(np.float64)
    return 2 * c + np.roll(c, 1, axis=-1) + np.roll(c, -1, axis=-1)


def preferred_hours(counts: IntArray, prior: IntArray, k: int = K) -> IntArray:
    """Each customer's hour: their counts topped up to ``k`` events with the shop's shares;
    ties go to the earlier hour."""
    if counts.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    total = prior.sum()
    share = prior / total if total else np.zeros(HOURS)
    pseudo = np.maximum(k - counts.sum(axis=1), 0)[:, None] * share[None, :]
    return np.asarray(_near(counts + pseudo).argmax(axis=1), dtype=np.int64)


def shop_hour(prior: IntArray) -> int | None:
    """The shop's own hour (what a customer with no events gets); None with no activity."""
    return int(_near(prior).argmax()) if prior.sum() else None


def next_in_hour(earliest: datetime, hour: int, zone: ZoneInfo) -> datetime:
    """``earliest`` itself if its local hour is ``hour``, else the next start of that hour."""
    local = earliest.astimezone(zone)
    if local.hour == hour:
        return earliest
    for days in range(3):
        start = datetime.combine(local.date() + timedelta(days=days), time(hour), tzinfo=zone)
        # A local time skipped by a DST change comes back as another hour: not this day.
        real = start.astimezone(earliest.tzinfo).astimezone(zone)
        if real.hour == hour and start > earliest:
            return start.astimezone(earliest.tzinfo)
    raise ValueError(f"no hour {hour} in {zone} after {earliest}")  # pragma: no cover


@queues.job("sync", timeout=900, retry=Retry(max=2, interval=[60, 600]))
def learn_send_times(shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """Relearn and replace the shop's preferred hours and its own hour. Safe to run twice."""
    now = now or utcnow()
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return {"customers": 0, "events": 0}
    rows = db.session.execute(hour_counts(shop_id, shop.zone.key, now - LOOKBACK)).all()
    customers, counts = count_matrix([tuple(r) for r in rows])
    prior = counts.sum(axis=0)
    hours = preferred_hours(counts, prior)
    # The shop row lock keeps two runs for one shop from interleaving delete and insert.
    shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
    assert shop is not None
    db.session.execute(ShopScope(shop_id).delete(PreferredHour))
    if customers.size:
        db.session.execute(
            sa.insert(PreferredHour),
            [
                {"shop_id": shop_id, "customer_id": c, "hour": h, "events": n, "learned_at": now}
                for c, h, n in zip(
                    customers.tolist(), hours.tolist(), counts.sum(axis=1).tolist(), strict=True
                )
            ],
        )
    shop.send_time_prior = SendTimePrior(
        hour=shop_hour(prior), events=int(prior.sum()), learned_at=now.isoformat()
    )
    db.session.commit()
    result = {"customers": int(customers.size), "events": int(prior.sum())}
    log.info("send times learned", extra=log_fields({"shop": shop_id, **result}))
    return result


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def nightly_send_times() -> int:
    """Enqueue one send-time relearning per installed shop (run by ``rq cron``)."""
    shop_ids = db.session.scalars(sa.select(Shop.id).where(Shop.status == "active")).all()
    day = utcnow().date().isoformat()
    for shop_id in shop_ids:
        queues.enqueue(learn_send_times, shop_id, job_id=f"send-times-{shop_id}-{day}")
    return len(shop_ids)


def preferred_hour(shop: Shop, customer_id: int | None) -> int | None:
    """The customer's learned hour, else the shop's; None while the shop has none."""
    if customer_id is not None:
        row = ShopScope(shop.id).first(PreferredHour, PreferredHour.customer_id == customer_id)
        if row is not None:
            return int(row.hour)
    return shop.send_time_prior.hour
