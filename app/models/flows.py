"""Flow settings per shop and flow runs with their durable timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, Timestamps, db, utcnow
from app.models.batch import known, memo, note_known
from app.models.scope import ShopScope

_MEMO = "flow_settings"  # a batch memo's key (with the shop id): the shop's rows by flow key
_BATCH_SHOPS = "shops watched for active runs"  # a batch memo's key: the batch's shop ids
_ACTIVE = "shops with active runs"  # a batch memo's key (with a flow key): those shop ids

RUN_STATES = ("active", "completed", "cancelled", "converted", "failed")


class FlowSetting(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "flow_settings"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "flow_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_key: Mapped[str] = mapped_column(sa.String(40))
    enabled: Mapped[bool] = mapped_column(default=False)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)


def flow_setting(shop_id: int, flow_key: str) -> FlowSetting | None:
    """The shop's stored row for one flow (or another settings key), if any. In a batch of
    deliveries (``app.models.batch``) every row of the shop is read once for the batch."""
    batch = memo(db.session())
    if batch is None:
        return ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == flow_key)
    key = (_MEMO, shop_id)
    rows = batch.get(key)
    if rows is None:
        rows = batch[key] = {row.flow_key: row for row in ShopScope(shop_id).all(FlowSetting)}
    return rows.get(flow_key)


def load_flow_settings(shop_ids: list[int]) -> None:
    """In a batch: the settings rows of these shops read in one statement, each shop's kept
    under its own key as ``flow_setting`` would keep them (a shop without rows keeps none)."""
    batch = memo(db.session())
    if batch is None or not shop_ids:
        return
    rows: dict[int, dict[str, FlowSetting]] = {shop_id: {} for shop_id in shop_ids}
    # Several shops at once, each row filed under its own shop: a batch serves many shops.
    for row in db.session.scalars(sa.select(FlowSetting).where(FlowSetting.shop_id.in_(shop_ids))):
        rows[row.shop_id][row.flow_key] = row
    for shop_id, by_key in rows.items():
        batch[(_MEMO, shop_id)] = by_key


def add_flow_setting(shop_id: int, flow_key: str, **values: Any) -> FlowSetting:
    """A new settings row for the shop (the caller commits); a batch's memo learns it too."""
    row = ShopScope(shop_id).add(FlowSetting(flow_key=flow_key, **values))
    batch = memo(db.session())
    if batch is not None:
        batch.pop((_MEMO, shop_id), None)
    return row


# Runs of the holdout group not converted yet: "IS TRUE" as attribution asks it, so that
# PostgreSQL can tell its query matches the partial indexes.
_HELD_OUT = "held_out IS TRUE AND converted_order_id IS NULL"


class FlowRun(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "flow_runs"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        # One active run per (flow, subject): a partial unique index where the backend has one.
        sa.Index(
            "uq_flow_runs_active_subject",
            "shop_id",
            "flow_key",
            "subject_key",
            unique=True,
            postgresql_where=sa.text("state = 'active'"),
            sqlite_where=sa.text("state = 'active'"),
        ),
        sa.Index("ix_flow_runs_due", "state", "next_step_at"),
        # The merchant page: 30-day results and chart, and a flow's newest runs.
        sa.Index(
            "ix_flow_runs_shop_started",
            "shop_id",
            "started_at",
            postgresql_include=["flow_key", "held_out", "converted_order_id", "id"],
        ),
        sa.Index(
            "ix_flow_runs_shop_flow_started",
            "shop_id",
            "flow_key",
            "started_at",
            postgresql_include=["held_out", "converted_order_id", "id"],
        ),
        # A subject's runs in any state (finished reminders of a cart, an order's ended
        # follow-up, a birthday's or shipment's run): found by the subject, not by scanning
        # every run of the flow in the shop, which grows with the shop's history.
        sa.Index("ix_flow_runs_shop_flow_subject", "shop_id", "flow_key", "subject_key"),
        # An order's live held-out runs (attribution), by its customer or its cart: a few
        # percent of the runs, found without reading every run of the shop.
        *(
            sa.Index(
                f"ix_flow_runs_held_out_{column}",
                "shop_id",
                column,
                postgresql_where=sa.text(_HELD_OUT),
                sqlite_where=sa.text(_HELD_OUT),
            )
            for column in ("customer_id", "subject_key")
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_key: Mapped[str] = mapped_column(sa.String(40))
    subject_key: Mapped[str] = mapped_column(sa.String(255))  # e.g. "cart:abc", "customer:12"
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(sa.String(12), default="active")
    step: Mapped[int] = mapped_column(default=0)  # index of the next step to run
    # The durable timer: when the next step is due. Redis only carries the job.
    next_step_at: Mapped[datetime | None]
    # Set by the tick when it enqueues the step; a lost job is picked again once it lapses.
    lease_until: Mapped[datetime | None]
    held_out: Mapped[bool] = mapped_column(default=False)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))
    # The order that earned the run; its revenue is read from the order itself (net of
    # refunds, nothing while unpaid or once cancelled), never copied here.
    converted_order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL")
    )


def cancel_runs(shop_id: int, reason: str, *criteria: Any) -> int:
    """End a shop's active runs (all, or those matching ``criteria``); returns how many."""
    result = db.session.execute(
        ShopScope(shop_id)
        .update(FlowRun, FlowRun.state == "active", *criteria)
        .values(state="cancelled", end_reason=reason, ended_at=utcnow(), next_step_at=None)
        # The session's runs that matched are found by the ids the UPDATE returns, not by
        # testing the criteria on every object it holds (a batch of deliveries holds many).
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def watch_active_runs(shop_ids: list[int]) -> None:
    """In a batch: which of these shops have an active run of a flow is read once, for all of
    them, the first time ``may_have_active_runs`` is asked about that flow."""
    batch = memo(db.session())
    if batch is not None:
        batch[_BATCH_SHOPS] = frozenset(shop_ids)


def may_have_active_runs(shop_id: int, flow_key: str) -> bool:
    """False only when the shop is known to have no active run of the flow: none when its
    batch began (``watch_active_runs``), and none enrolled by the batch since
    (``note_active_run``). A stop rule then has nothing to stop, and its UPDATE is spared (the
    send-time guards check again whatever another worker enrolled meanwhile). True when not
    known: outside a batch, on SQLite (development only)."""
    session = db.session()
    batch = memo(session)
    shops = batch.get(_BATCH_SHOPS) if batch is not None else None
    if batch is None or shops is None or shop_id not in shops:
        return True
    key = (_ACTIVE, flow_key)
    found = batch.get(key)
    if found is None:
        if session.get_bind().dialect.name != "postgresql":
            return True
        params = {"shop_ids": list(shops), "flow_key": flow_key}
        found = batch[key] = set(session.scalars(_SHOPS_WITH_ACTIVE_RUN, params))
    return shop_id in found


def note_active_run(shop_id: int, flow_key: str, subject_key: str) -> None:
    """In a batch: the shop has an active run of the flow now (one was enrolled), and the
    subject has a run (``started_in_batch``)."""
    session = db.session()
    batch = memo(session)
    found = batch.get((_ACTIVE, flow_key)) if batch is not None else None
    if found is not None:
        found.add(shop_id)
    note_known(session, _started_key(shop_id, subject_key), True)


def started_in_batch(shop_id: int, subject_key: str) -> bool:
    """Whether this batch's transaction started a run of the subject (False when not known)."""
    return bool(known(db.session(), _started_key(shop_id, subject_key)))


def _started_key(shop_id: int, subject_key: str) -> tuple[Any, ...]:
    return (FlowRun, shop_id, "started", subject_key)


_WATCHED = (
    sa.func.unnest(sa.bindparam("shop_ids", type_=postgresql.ARRAY(sa.Integer)))
    .table_valued("shop_id")
    .render_derived()
)
# Several shops at once, each probed on its own rows: one index lookup per shop (the partial
# unique index of active runs, whose condition the literal 'active' lets the planner use).
_SHOPS_WITH_ACTIVE_RUN = sa.select(_WATCHED.c.shop_id).where(
    sa.exists().where(
        FlowRun.shop_id == _WATCHED.c.shop_id,
        FlowRun.flow_key == sa.bindparam("flow_key"),
        FlowRun.state == sa.literal_column("'active'"),
    )
)
