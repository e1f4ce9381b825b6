"""The engagement score (0-100) of every customer and the lifecycle stage that follows from it.

The score adds points for what a customer did, each part capped and weighted (``WEIGHTS``,
shown to the merchant as they are here):

- the last order: full points within 30 days, 2/3 within 90, 1/3 within 180, 1/6 within 365;
- orders placed: full points from 5;
- our emails they opened in the last 90 days: full points from 5;
- our emails they clicked in the last 90 days: full points from 3;
- product pages they viewed in the last 30 days: full points from 10, counted only when the
  shop tracks its storefront (a shop without tracking is scored out of the other 85 points).

Recency goes in steps rather than by the day so that a score changes when something
happened, not every night: the daily job writes only changed rows (like the RFM scores), and
a score sliding by one point a day would rewrite every customer every day.

The stage (``STAGES``) reads the score and the RFM quintiles (``segments``):
``new`` — first order (or, with none, first seen) within 30 days and at most one order;
``active`` — score 40 or more, unless a regular is slipping;
``at_risk`` — score 15 to 39, or a regular slipping (RFM frequency 4-5 whose recency fell
to 1-2, last order within a year): someone worth keeping, before they lapse;
``lapsed`` — the rest.

It is ONE statement per shop (INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE changed)
over the order totals kept on ``customers``, the RFM scores, and the last 90 days of
``messages`` and 30 days of ``storefront_events`` through their (shop, time) indexes. A second
statement copies the rows whose stage changed this run into ``engagement_stage_changes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.models import (
    STAGES,
    Customer,
    CustomerEngagement,
    CustomerScore,
    EngagementStageChange,
    Message,
    Shop,
    ShopScope,
    StorefrontEvent,
    db,
)
from app.models.base import UTCDateTime
from app.models.sql import dialect_insert, epoch_seconds

DAY = 86400.0
NEW_DAYS = 30
ACTIVE_FROM = 40
AT_RISK_FROM = 15
MESSAGE_DAYS = 90
VIEW_DAYS = 30


@dataclass(frozen=True)
class Weight:
    key: str
    points: int
    full_at: int  # the count (or, for recency, nothing) that earns every point


WEIGHTS: tuple[Weight, ...] = (
    Weight("order_recency", 30, 0),
    Weight("orders", 20, 5),
    Weight("opens", 15, 5),
    Weight("clicks", 20, 3),
    Weight("views", 15, 10),
)
_W = {w.key: w for w in WEIGHTS}
# Days since the last order -> share of the recency points.
RECENCY_STEPS: tuple[tuple[int, float], ...] = ((30, 1.0), (90, 2 / 3), (180, 1 / 3), (365, 1 / 6))


def tracks_views(shop: Shop) -> bool:
    """Whether the shop's storefront sends product views (it has a collector key)."""
    return bool(shop.storefront_tracking.collect_key)


def weights_for(shop: Shop) -> tuple[Weight, ...]:
    """The weights that count for this shop (product views only when it tracks them)."""
    return tuple(w for w in WEIGHTS if w.key != "views" or tracks_views(shop))


def _capped(count: Any, weight: Weight) -> sa.ColumnElement[float]:
    """The points a count earns: in proportion up to ``full_at``, all of them from there."""
    count = sa.func.coalesce(count, 0)
    return sa.case(
        (count >= weight.full_at, float(weight.points)),
        else_=count * (weight.points / weight.full_at),
    )


def _recency_points(now: datetime) -> sa.ColumnElement[float]:
    days = (now.timestamp() - epoch_seconds(Customer.last_order_at)) / DAY
    points = _W["order_recency"].points
    steps = [(days <= limit, points * share) for limit, share in RECENCY_STEPS]
    return sa.case((Customer.last_order_at.is_(None), 0.0), *steps, else_=0.0)


def _activity(shop_id: int, now: datetime) -> tuple[sa.Subquery, sa.Subquery]:
    scope = ShopScope(shop_id)
    mail = (
        scope.select(
            Message,
            Message.sent_at > now - timedelta(days=MESSAGE_DAYS),
            Message.customer_id.is_not(None),
        )
        .with_only_columns(
            Message.customer_id,
            sa.func.count(Message.opened_at).label("opens"),
            sa.func.count(Message.clicked_at).label("clicks"),
        )
        .group_by(Message.customer_id)
        .subquery("mail")
    )
    seen = StorefrontEvent
    views = (
        scope.select(
            seen,
            seen.occurred_at > now - timedelta(days=VIEW_DAYS),
            seen.kind == "product_viewed",
            seen.customer_id.is_not(None),
        )
        .with_only_columns(seen.customer_id, sa.func.count().label("views"))
        .group_by(seen.customer_id)
        .subquery("views")
    )
    return mail, views


def score_query(shop_id: int, now: datetime, with_views: bool) -> sa.Select[Any]:
    """(shop, customer, score, stage, now, now) of every customer not erased."""
    mail, views = _activity(shop_id, now)
    parts = [
        _recency_points(now),
        _capped(Customer.order_count, _W["orders"]),
        _capped(mail.c.opens, _W["opens"]),
        _capped(mail.c.clicks, _W["clicks"]),
    ]
    possible = sum(w.points for w in WEIGHTS if w.key != "views")
    if with_views:
        parts.append(_capped(views.c.views, _W["views"]))
        possible += _W["views"].points
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    score = sa.cast(sa.func.round(total * 100.0 / possible), sa.Integer).label("score")
    rfm = CustomerScore
    scored = (
        ShopScope(shop_id)
        .select(Customer, Customer.redacted_at.is_(None))
        .outerjoin(mail, mail.c.customer_id == Customer.id)
        .outerjoin(views, views.c.customer_id == Customer.id)
        .outerjoin(rfm, sa.and_(rfm.shop_id == Customer.shop_id, rfm.customer_id == Customer.id))
        .with_only_columns(
            Customer.id,
            score,
            _is_new(now).label("is_new"),
            _slipping(now).label("slipping"),
        )
        .subquery("scored")
    )
    # WHERE true: without a WHERE, SQLite reads the upsert's "ON CONFLICT" as a join's ON.
    return sa.select(
        sa.literal(shop_id).label("shop_id"),
        scored.c.id,
        scored.c.score,
        stage_of(scored.c.score, scored.c.is_new == 1, scored.c.slipping == 1).label("stage"),
        sa.literal(now, UTCDateTime()).label("scored_at"),
        sa.literal(now, UTCDateTime()).label("stage_since"),
    ).where(sa.true())


def _is_new(now: datetime) -> sa.ColumnElement[int]:
    first_seen = sa.func.coalesce(Customer.first_order_at, Customer.created_at)
    recent = sa.and_(first_seen >= now - timedelta(days=NEW_DAYS), Customer.order_count <= 1)
    return sa.case((recent, 1), else_=0)


def _slipping(now: datetime) -> sa.ColumnElement[int]:
    """A regular (RFM frequency 4-5) whose last order is now among the shop's oldest."""
    slipping = sa.and_(
        CustomerScore.frequency >= 4,
        CustomerScore.recency <= 2,
        Customer.last_order_at >= now - timedelta(days=365),
    )
    return sa.case((slipping, 1), else_=0)


def stage_of(
    score: Any, is_new: sa.ColumnElement[bool], slipping: sa.ColumnElement[bool]
) -> sa.ColumnElement[str]:
    return sa.case(
        (is_new, "new"),
        (sa.and_(score >= ACTIVE_FROM, sa.not_(slipping)), "active"),
        (sa.or_(score >= AT_RISK_FROM, slipping), "at_risk"),
        else_="lapsed",
    )


def _upsert_changed(rows: sa.Select[Any]) -> Any:
    columns = ["shop_id", "customer_id", "score", "stage", "scored_at", "stage_since"]
    insert = dialect_insert(CustomerEngagement).from_select(columns, rows)
    old, new = CustomerEngagement.__table__.c, insert.excluded
    moved = old.stage != new.stage
    return insert.on_conflict_do_update(
        index_elements=["shop_id", "customer_id"],
        set_={
            "score": new.score,
            "stage": new.stage,
            "previous_score": old.score,
            "previous_stage": sa.case((moved, old.stage), else_=old.previous_stage),
            "stage_since": sa.case((moved, new.stage_since), else_=old.stage_since),
            "scored_at": new.scored_at,
        },
        where=sa.or_(old.score != new.score, moved),
    )


def _record_moves(shop_id: int, now: datetime) -> int:
    """One stage-change row per customer whose stage this run set (first scoring included)."""
    moved = (
        ShopScope(shop_id)
        .select(CustomerEngagement, CustomerEngagement.stage_since == now)
        .with_only_columns(
            CustomerEngagement.shop_id,
            CustomerEngagement.customer_id,
            CustomerEngagement.previous_stage,
            CustomerEngagement.stage,
            CustomerEngagement.stage_since,
        )
    )
    columns = ["shop_id", "customer_id", "from_stage", "to_stage", "changed_at"]
    result = db.session.execute(
        sa.insert(EngagementStageChange).from_select(columns, moved),
        execution_options={"preserve_rowcount": True},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def score_engagement(shop_id: int, now: datetime) -> dict[str, int]:
    """Bring the shop's engagement scores and stages up to date (after the RFM scores);
    how many rows changed and how many customers changed stage. The caller commits."""
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        return {"changed": 0, "moved": 0}
    statement = _upsert_changed(score_query(shop_id, now, tracks_views(shop)))
    result = db.session.execute(statement.execution_options(preserve_rowcount=True))
    changed = int(getattr(result, "rowcount", 0) or 0)
    return {"changed": changed, "moved": _record_moves(shop_id, now) if changed else 0}


def stage_of_customer(shop_id: int, customer_id: int | None) -> str:
    """The customer's stage as last scored; "new" for someone not scored yet (a customer
    created since the last daily score, a guest without a customer row)."""
    if customer_id is None:
        return "new"
    stage = db.session.scalar(
        ShopScope(shop_id)
        .select(CustomerEngagement, CustomerEngagement.customer_id == customer_id)
        .with_only_columns(CustomerEngagement.stage)
    )
    return stage or "new"


# A flow's lifecycle condition (the common setting ``lifecycle_stages``): everyone, only one
# stage, or everyone but one stage.
STAGE_CONDITIONS: tuple[str, ...] = (
    "all",
    *(f"only_{stage}" for stage in STAGES),
    *(f"not_{stage}" for stage in STAGES),
)


def stage_condition_holds(condition: str, stage: str) -> bool:
    """Whether a customer in ``stage`` passes the condition (an unknown one lets all pass)."""
    if condition.startswith("only_"):
        return stage == condition.removeprefix("only_")
    if condition.startswith("not_"):
        return stage != condition.removeprefix("not_")
    return True


def stage_counts(shop_id: int) -> dict[str, int]:
    """How many customers are in each stage now (every stage listed, zeros included)."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(CustomerEngagement)
        .with_only_columns(CustomerEngagement.stage, sa.func.count())
        .group_by(CustomerEngagement.stage)
    ).all()
    return {**dict.fromkeys(STAGES, 0), **{stage: int(n) for stage, n in rows}}


def stage_moves(shop_id: int, since: datetime) -> list[tuple[str | None, str, int]]:
    """(from stage, to stage, customers) of the moves since ``since``, most first; a from
    stage of None is a customer scored for the first time."""
    move = EngagementStageChange
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(move, move.changed_at >= since)
        .with_only_columns(move.from_stage, move.to_stage, sa.func.count())
        .group_by(move.from_stage, move.to_stage)
        .order_by(sa.func.count().desc(), move.from_stage, move.to_stage)
    ).all()
    return [(from_stage, to_stage, int(n)) for from_stage, to_stage, n in rows]
