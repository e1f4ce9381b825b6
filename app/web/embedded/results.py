"""What each flow did for the shop over the last 30 days, and how its customers segment.

Two grouped queries for all flows at once (runs by flow and group; sent messages by flow),
never a query per run or per message; each reads one shop's slice of an index
(``ix_flow_runs_shop_started``, ``ix_messages_shop_sent``, migration 0004_page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.insights.attribution import converted_by_live_order, join_converted, revenue_of
from app.models import Customer, CustomerScore, FlowRun, Message, Order, ShopScope, db
from app.models.sql import local_day

WINDOW = timedelta(days=30)


@dataclass
class FlowResults:
    enrolled: int = 0  # messaged group: runs started in the window
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0")
    holdout_enrolled: int = 0
    holdout_conversions: int = 0

    @property
    def conversion_rate(self) -> float | None:
        return self.conversions / self.enrolled if self.enrolled else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_conversions / self.holdout_enrolled if self.holdout_enrolled else None

    @property
    def lift(self) -> float | None:
        """Relative lift of the messaged group's conversion rate over the holdout's.

        None when there is nothing to compare with (no holdout, or it never converted).
        """
        rate, base = self.conversion_rate, self.holdout_rate
        if rate is None or not base:
            return None
        return (rate - base) / base


def flow_results(shop_id: int, flow_keys: list[str], now: datetime) -> dict[str, FlowResults]:
    since = now - WINDOW
    results = {key: FlowResults() for key in flow_keys}
    scope = ShopScope(shop_id)
    # Revenue from the converting orders as they stand now: paid, net of refunds, and nothing
    # for a cancelled one (which is no conversion either).
    # One flow (its page) reads its own index range; all flows (home) the shop's runs of the
    # window from the index that carries the flow key, unfiltered (the set is every flow).
    one_flow = [FlowRun.flow_key == flow_keys[0]] if len(flow_keys) == 1 else []
    runs = scope.select(FlowRun, FlowRun.started_at >= since, *one_flow).with_only_columns(
        FlowRun.flow_key,
        FlowRun.held_out,
        sa.func.count(FlowRun.id),
        sa.func.count(sa.case((converted_by_live_order(), FlowRun.id))),
        sa.func.coalesce(sa.func.sum(revenue_of()), 0),
    )
    for key, held_out, enrolled, converted, revenue in db.session.execute(
        join_converted(runs).group_by(FlowRun.flow_key, FlowRun.held_out)
    ):
        row = results.setdefault(key, FlowResults())
        if held_out:
            row.holdout_enrolled, row.holdout_conversions = enrolled, converted
        else:
            row.enrolled, row.conversions, row.revenue = enrolled, converted, Decimal(str(revenue))
    sent = (
        scope.select(
            Message,
            Message.status == "sent",
            Message.sent_at >= since,
            Message.flow_key.in_(flow_keys),
        )
        .with_only_columns(
            Message.flow_key,
            sa.func.count(),
            sa.func.count(Message.opened_at),
            sa.func.count(Message.clicked_at),
        )
        .group_by(Message.flow_key)
    )
    for key, count, opened, clicked in db.session.execute(sent):
        row = results.setdefault(str(key), FlowResults())
        row.sent, row.opened, row.clicked = count, opened, clicked
    return results


# First match wins; the names are the ones merchants know from RFM guides.
SEGMENTS: tuple[tuple[str, sa.ColumnElement[bool]], ...] = (
    ("champions", sa.and_(CustomerScore.recency >= 4, CustomerScore.frequency >= 4)),
    ("loyal", CustomerScore.frequency >= 4),
    ("new", sa.and_(CustomerScore.recency >= 4, CustomerScore.frequency <= 2)),
    ("at_risk", sa.and_(CustomerScore.recency <= 2, CustomerScore.frequency >= 3)),
    ("hibernating", CustomerScore.recency <= 2),
)


def segment_counts(shop_id: int) -> dict[str, int]:
    segment = sa.case(*((rule, name) for name, rule in SEGMENTS), else_="others")
    query = (
        ShopScope(shop_id)
        .select(CustomerScore)
        .with_only_columns(segment, sa.func.count())
        .group_by(segment)
    )
    counts = dict.fromkeys([name for name, _ in SEGMENTS] + ["others"], 0)
    counts.update({name: count for name, count in db.session.execute(query)})
    return counts


def revenue_by_day(
    shop_id: int, flow_keys: list[str], now: datetime, zone: ZoneInfo
) -> dict[str, dict[date, Decimal]]:
    """Revenue earned by each flow's runs of the last 30 days (the cards' total), by the day
    (shop's time) of the order that converted them. One grouped query over the converted runs."""
    since = now - WINDOW
    day = local_day(Order.placed_at, sa.literal(zone.key))
    stmt = join_converted(
        ShopScope(shop_id)
        .select(FlowRun, FlowRun.started_at >= since, FlowRun.converted_order_id.is_not(None))
        .where(FlowRun.held_out.is_(False))
        .with_only_columns(FlowRun.flow_key, day, sa.func.coalesce(sa.func.sum(revenue_of()), 0))
    ).group_by(FlowRun.flow_key, day)
    out: dict[str, dict[date, Decimal]] = {key: {} for key in flow_keys}
    for key, when, revenue in db.session.execute(stmt):
        if key in out and when is not None:
            out[key][when] = Decimal(str(revenue))
    return out


@dataclass
class RecentRun:
    id: int
    who: str
    state: str
    step: int
    held_out: bool
    started_at: datetime
    next_step_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    deferred: str | None
    deferrals: int


def recent_runs(shop_id: int, flow_key: str, limit: int = 20) -> list[RecentRun]:
    """The newest runs of one flow with whom they are for (the customer's email, else the
    address the run was started with); one indexed query, newest first."""
    stmt = (
        ShopScope(shop_id)
        .select(FlowRun, FlowRun.flow_key == flow_key)
        .with_only_columns(FlowRun, Customer.email)
        .outerjoin(
            Customer,
            sa.and_(Customer.id == FlowRun.customer_id, Customer.shop_id == FlowRun.shop_id),
        )
        .order_by(FlowRun.started_at.desc(), FlowRun.id.desc())
        .limit(limit)
    )
    runs = []
    for run, email in db.session.execute(stmt):
        context = run.context or {}
        runs.append(
            RecentRun(
                id=run.id,
                who=email or str(context.get("email") or "") or run.subject_key,
                state=run.state,
                step=run.step,
                held_out=run.held_out,
                started_at=run.started_at,
                next_step_at=run.next_step_at,
                ended_at=run.ended_at,
                end_reason=run.end_reason,
                deferred=context.get("deferred"),
                deferrals=int(context.get("deferrals", 0) or 0),
            )
        )
    return runs


def consent_seen(shop_id: int) -> bool:
    """Has any customer agreed to marketing email yet (the store asks for it at checkout)?"""
    stmt = ShopScope(shop_id).select(Customer, Customer.email_consent == "granted")
    return db.session.scalar(sa.select(stmt.with_only_columns(Customer.id).exists())) or False
