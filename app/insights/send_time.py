"""Best send time: the hour of day (shop's timezone) each customer is best written to.

Learned nightly from what the customer did and when: the emails they opened, the links they
clicked (a click also stamps an open, so clicks weigh twice) and the orders they placed, over
the last year, by hour in the shop's timezone (PostgreSQL's ``timezone()``, so summer and
winter time each count on their own date's offset). In one transaction per shop: the shop's
histogram of hours (24 rows), then one INSERT ... SELECT that counts each customer's hours
(one row per customer, 24 counts side by side) and blends them with the shop's into a
temporary table, then the shop's rows are made the same, writing only those that change.

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
from app.models.sql import (
    allow_large_sorts,
    dialect_insert,
    greatest,
    local_hour,
    plan_for_bulk,
)
from app.pipeline import queues

log = logging.getLogger(__name__)

# Below this many events of their own, a customer's hour leans on the shop's (see above).
K = 5
LOOKBACK = timedelta(days=365)
HOURS = 24

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def activity_times(
    shop_id: int, since: datetime, until: datetime | None = None, *, zone: str | None = None
) -> sa.CompoundSelect:
    """(customer id, time, message id or NULL for an order) of every open, click and order of
    the shop's customers from ``since`` (to ``until``): the evidence of when each one is about.
    With ``zone``, a fourth column: the local hour, worked out once per event in each part
    (an expression over the union would be worked out again wherever it is used)."""
    scope = ShopScope(shop_id)

    def part(model: Any, column: Any, message_id: Any) -> sa.Select[Any]:
        window = [column >= since] + ([column < until] if until is not None else [])
        hour = [local_hour(column, sa.literal(zone)).label("hour")] if zone is not None else []
        return scope.select(model, model.customer_id.is_not(None), *window).with_only_columns(
            model.customer_id.label("customer_id"),
            column.label("at"),
            message_id.label("message_id"),
            *hour,
        )

    return sa.union_all(
        part(Message, Message.opened_at, Message.id),
        part(Message, Message.clicked_at, Message.id),
        part(Order, Order.placed_at, sa.cast(sa.null(), sa.Integer)),
    )


def _local_hours(
    shop_id: int, zone: str, since: datetime, until: datetime | None
) -> tuple[sa.Subquery, sa.ColumnElement[int]]:
    events = activity_times(shop_id, since, until, zone=zone).subquery("activity")
    return events, events.c.hour


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
    the shop's hour are candidates (elsewhere the score is the prior's alone, never above the
    shop's hour). One row per customer with their 24 hour counts side by side, so the blend
    is arithmetic on one row: no customer x hour rows to join, group and rank."""
    per_customer = _hour_columns(shop_id, zone, since, until).subquery("per_customer")
    counts = [per_customer.c[f"h{h}"] for h in range(HOURS)]
    events = per_customer.c.events
    pseudo = sa.cast(sa.case((events < k, k - events), else_=0), sa.Float)
    total = int(prior.sum())
    shares = near(prior) / total if total else np.zeros(HOURS)
    best = shop_hour(prior)
    scores = []
    for h in range(HOURS):
        reach = 2 * counts[h] + counts[h - 1] + counts[(h + 1) % HOURS]
        # Summed as integers, then blended in double precision: the same float each time.
        score = sa.cast(reach, sa.Float) + pseudo * sa.literal(float(shares[h]), sa.Float)
        scores.append(score if h == best else sa.case((reach > 0, score), else_=_NO_SCORE))
    scored = _fenced(
        sa.select(
            per_customer.c.customer_id, events, *(s.label(f"s{h}") for h, s in enumerate(scores))
        ),
        "scored",
    )
    columns = [scored.c[f"s{h}"] for h in range(HOURS)]
    topped = _fenced(sa.select(scored, greatest(*columns).label("top")), "topped")
    hour = sa.case(*((topped.c[f"s{h}"] == topped.c.top, h) for h in range(HOURS)))
    return sa.select(topped.c.customer_id, hour.label("hour"), topped.c.events)


def _fenced(select: sa.Select[Any], name: str) -> sa.Subquery:
    """``select`` as a subquery PostgreSQL works out once per row: OFFSET 0 keeps the planner
    from pulling it up into the query around it, where each use of one of its columns would
    repeat that column's expression (a score used 25 times, the best of 24 scores 24 times)."""
    return select.offset(0).subquery(name)


# Below every real score (all are >= 0): an hour no event of theirs reaches cannot win.
_NO_SCORE = sa.literal(-1.0, sa.Float)


def _hour_columns(
    shop_id: int, zone: str, since: datetime, until: datetime | None
) -> sa.Select[Any]:
    """(customer id, events, h0 ... h23): each customer's events and their count per hour."""
    activity, hour = _local_hours(shop_id, zone, since, until)
    return sa.select(
        activity.c.customer_id,
        sa.func.count().label("events"),
        *(sa.func.count().filter(hour == h).label(f"h{h}") for h in range(HOURS)),
    ).group_by(activity.c.customer_id)


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


BEST_COLUMNS = ["customer_id", "hour", "events"]


def _learned_hours() -> sa.Table:
    """This run's hours, kept aside (a temporary table, the session's own) so the shop's rows
    are compared with them and only what changed is written."""
    return sa.Table(
        "learned_hours",
        sa.MetaData(),
        sa.Column("customer_id", sa.Integer, nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        prefixes=["TEMPORARY"],
    )


def _store(shop_id: int, learned: sa.Table, now: datetime) -> None:
    """Make the shop's rows what ``learned`` holds, writing only the rows that change: most
    customers' hours stay the same from night to night, and each row written costs its checks
    against the customer and the shop (a million of them are most of a first run)."""
    stored = PreferredHour.__table__.c
    same_customer = sa.and_(stored.shop_id == shop_id, stored.customer_id == learned.c.customer_id)
    db.session.execute(ShopScope(shop_id).delete(PreferredHour, ~sa.exists().where(same_customer)))
    unchanged = sa.exists().where(
        same_customer, stored.hour == learned.c.hour, stored.events == learned.c.events
    )
    rows = sa.select(sa.literal(shop_id), *learned.c, sa.literal(now, UTCDateTime())).where(
        ~unchanged
    )
    insert = dialect_insert(PreferredHour).from_select(
        ["shop_id", *BEST_COLUMNS, "learned_at"], rows
    )
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["customer_id", "shop_id"],
            set_={
                "hour": insert.excluded.hour,
                "events": insert.excluded.events,
                "learned_at": insert.excluded.learned_at,
            },
        )
    )


@queues.job("sync", timeout=900, retry=Retry(max=2, interval=[60, 600]))
def learn_send_times(shop_id: int, now: datetime | None = None) -> dict[str, int]:
    """Relearn and replace the shop's preferred hours and its own hour. Safe to run twice."""
    now = now or utcnow()
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return {"customers": 0, "events": 0}
    zone, since = shop.zone.key, now - LOOKBACK
    allow_large_sorts()  # each customer's hour counts, one row per customer, kept in memory
    plan_for_bulk()
    prior = shop_histogram(shop_id, zone, since)
    learned = _learned_hours()
    connection = db.session.connection()
    learned.create(connection)
    best = preferred_hours_query(shop_id, zone, prior, since)
    kept = sa.insert(learned).from_select(BEST_COLUMNS, best)
    customers = connection.execute(kept.execution_options(preserve_rowcount=True)).rowcount
    # The shop row lock keeps two runs for one shop from interleaving their writes.
    shop = db.session.get(Shop, shop_id, with_for_update=True, populate_existing=True)
    assert shop is not None
    _store(shop_id, learned, now)
    learned.drop(connection)
    shop.send_time_prior = SendTimePrior(
        hour=shop_hour(prior), events=int(prior.sum()), learned_at=now.isoformat()
    )
    db.session.commit()
    result = {"customers": int(customers), "events": int(prior.sum())}
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
