"""Best send time: the hour of day (shop's timezone) each customer is best written to.

Learned nightly from what the customer did and when: the emails they opened, the links they
clicked (a click also stamps an open, so clicks weigh twice) and the orders they placed, over
the last year, by hour in the shop's timezone (PostgreSQL's ``timezone()``, so summer and
winter time each count on their own date's offset). Two statements per shop: the shop's
histogram of hours (24 rows), then one INSERT ... SELECT that counts each customer's hours,
blends them with the shop's and replaces the shop's rows, in one transaction.

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
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from rq import Retry

from app.logs import fields as log_fields
from app.models import Message, Order, PreferredHour, Shop, ShopScope, db, utcnow
from app.models.base import UTCDateTime
from app.models.shop_settings import SendTimePrior
from app.models.sql import allow_large_sorts, local_hour
from app.pipeline import queues

log = logging.getLogger(__name__)

# Below this many events of their own, a customer's hour leans on the shop's (see above).
K = 5
LOOKBACK = timedelta(days=365)
HOURS = 24

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def activity_times(
    shop_id: int, since: datetime, until: datetime | None = None
) -> sa.CompoundSelect:
    """(customer id, time, message id or NULL for an order) of every open, click and order of
    the shop's customers from ``since`` (to ``until``): the evidence of when each one is about."""
    scope = ShopScope(shop_id)

    def between(column: Any) -> list[sa.ColumnElement[bool]]:
        return [column >= since] + ([column < until] if until is not None else [])

    parts = [
        scope.select(Message, Message.customer_id.is_not(None), *between(column)).with_only_columns(
            Message.customer_id.label("customer_id"),
            column.label("at"),
            Message.id.label("message_id"),
        )
        for column in (Message.opened_at, Message.clicked_at)
    ]
    orders = scope.select(
        Order, Order.customer_id.is_not(None), *between(Order.placed_at)
    ).with_only_columns(
        Order.customer_id.label("customer_id"),
        Order.placed_at.label("at"),
        sa.cast(sa.null(), sa.Integer).label("message_id"),
    )
    return sa.union_all(*parts, orders)


def _local_hours(
    shop_id: int, zone: str, since: datetime, until: datetime | None
) -> tuple[sa.Subquery, sa.ColumnElement[int]]:
    events = activity_times(shop_id, since, until).subquery("activity")
    return events, local_hour(events.c.at, sa.literal(zone)).label("hour")


def hour_counts(
    shop_id: int, zone: str, since: datetime, until: datetime | None = None
) -> sa.Select[Any]:
    """(customer id, local hour, events) for the shop's customers."""
    events, hour = _local_hours(shop_id, zone, since, until)
    return sa.select(events.c.customer_id, hour, sa.func.count().label("events")).group_by(
        events.c.customer_id, hour
    )


def shop_histogram(
    shop_id: int, zone: str, since: datetime, until: datetime | None = None
) -> IntArray:
    """The shop's events per local hour (24 counts): the prior."""
    _, hour = _local_hours(shop_id, zone, since, until)
    rows = db.session.execute(sa.select(hour, sa.func.count()).group_by(hour)).all()
    histogram = np.zeros(HOURS, dtype=np.int64)
    for h, n in rows:
        histogram[int(h) % HOURS] += int(n)
    return histogram


def near(counts: npt.NDArray[Any]) -> FloatArray:
    """Each hour with its neighbours at half weight (midnight wraps round)."""
    c = counts.astype(np.float64)
    return 2 * c + np.roll(c, 1, axis=-1) + np.roll(c, -1, axis=-1)


def shop_hour(prior: IntArray) -> int | None:
    """The shop's own hour (what a customer with no events gets); None with no activity."""
    return int(near(prior).argmax()) if prior.sum() else None


# ``near`` in SQL: each count also lands on the hours either side, at half the weight.
_NEIGHBOURS = ((-1, 1), (0, 2), (1, 1))


def preferred_hours_query(
    shop_id: int,
    zone: str,
    prior: IntArray,
    since: datetime,
    until: datetime | None = None,
    k: int = K,
) -> sa.Select[Any]:
    """(customer id, hour, events) of each customer with activity: one statement.

    Score of hour h = their near-count at h + max(k - their events, 0) x the shop's near-share
    at h, the best score (earlier hour on a tie) wins. Only hours next to their own events and
    the shop's hour can win (elsewhere the score is the prior's alone, never above the shop's
    hour), so those are the only candidates scored."""
    counts = hour_counts(shop_id, zone, since, until).cte("counts")
    candidates = _candidates(counts, shop_hour(prior))
    totals = (
        sa.select(counts.c.customer_id, sa.func.sum(counts.c.events).label("events"))
        .group_by(counts.c.customer_id)
        .subquery("totals")
    )
    pseudo = sa.case((totals.c.events < k, k - totals.c.events), else_=0)
    score = sa.func.sum(candidates.c.near) + pseudo * _prior_near(candidates.c.hour, prior)
    ranked = (
        sa.select(
            candidates.c.customer_id,
            candidates.c.hour,
            totals.c.events,
            sa.func.row_number()
            .over(partition_by=candidates.c.customer_id, order_by=(score.desc(), candidates.c.hour))
            .label("rank"),
        )
        .join(totals, totals.c.customer_id == candidates.c.customer_id)
        .group_by(candidates.c.customer_id, candidates.c.hour, totals.c.events)
        .subquery("ranked")
    )
    return sa.select(ranked.c.customer_id, ranked.c.hour, ranked.c.events).where(ranked.c.rank == 1)


def _candidates(counts: sa.CTE, best: int | None) -> sa.Subquery:
    """(customer id, hour, weighted count) for each hour a customer's events reach (their own
    hour at weight 2, either side at 1), and the shop's hour at 0 for every customer."""
    offsets = sa.union_all(
        *(sa.select(sa.literal(d).label("d"), sa.literal(w).label("w")) for d, w in _NEIGHBOURS)
    ).subquery("neighbours")
    target = ((counts.c.hour + offsets.c.d + HOURS) % HOURS).label("hour")
    parts: list[sa.Select[Any]] = [
        sa.select(counts.c.customer_id, target, (counts.c.events * offsets.c.w).label("near"))
        .select_from(counts)
        .join(offsets, sa.true())
    ]
    if best is not None:
        parts.append(
            sa.select(
                counts.c.customer_id, sa.literal(best).label("hour"), sa.literal(0).label("near")
            ).distinct()
        )
    return sa.union_all(*parts).subquery("candidates")


def _prior_near(hour: sa.ColumnElement[Any], prior: IntArray) -> sa.ColumnElement[Any]:
    """The shop's near-share of ``hour`` (bound values, 24 at most)."""
    total = int(prior.sum())
    shares = near(prior) / total if total else np.zeros(HOURS)
    whens = {h: float(v) for h, v in enumerate(shares) if v}
    return sa.case(whens, value=hour, else_=sa.literal(0.0)) if whens else sa.literal(0.0)


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
    zone, since = shop.zone.key, now - LOOKBACK
    allow_large_sorts()  # the customer x hour groups of a large shop, kept in memory
    prior = shop_histogram(shop_id, zone, since)
    best = preferred_hours_query(shop_id, zone, prior, since).subquery("best")
    # The shop row lock keeps two runs for one shop from interleaving delete and insert.
    shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
    assert shop is not None
    db.session.execute(ShopScope(shop_id).delete(PreferredHour))
    db.session.execute(
        sa.insert(PreferredHour.__table__).from_select(
            ["shop_id", "customer_id", "hour", "events", "learned_at"],
            sa.select(
                sa.literal(shop_id),
                best.c.customer_id,
                best.c.hour,
                best.c.events,
                sa.literal(now, UTCDateTime()),
            ),
        )
    )
    # (psycopg reports no row count for an INSERT that starts WITH: count what is stored.)
    learned = db.session.scalar(
        ShopScope(shop_id).select(PreferredHour).with_only_columns(sa.func.count())
    )
    shop.send_time_prior = SendTimePrior(
        hour=shop_hour(prior), events=int(prior.sum()), learned_at=now.isoformat()
    )
    db.session.commit()
    result = {"customers": int(learned or 0), "events": int(prior.sum())}
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
