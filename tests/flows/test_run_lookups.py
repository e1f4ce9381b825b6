"""A subject's runs in any state are found through the index on (shop, flow, subject), not by
reading every run of the flow in the shop: those lookups run on every cart event (the finished
reminders of its cart) and would grow with a shop's history (migration 0020_run_subjects). An
order's live held-out runs likewise, through the partial indexes of the holdout group's
unconverted runs (0021_held_out_runs)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.flows import abandoned_cart
from app.insights import attribution
from app.models import FlowRun, Shop, db
from app.models.scope import SHOP_PARAM

SUBJECT_INDEX = "ix_flow_runs_shop_flow_subject"
NOW = datetime.now(UTC)


def _finished_reminders(shop: Shop, count: int) -> None:
    """``count`` carts whose reminders all went out, as a shop with some history has; one in
    twenty of them in the holdout group."""
    db.session.execute(
        sa.text(
            "INSERT INTO flow_runs (shop_id, flow_key, subject_key, state, step, held_out,"
            " context, started_at, ended_at, end_reason, created_at, updated_at)"
            " SELECT :shop, 'abandoned_cart', 'cart:c' || n, 'completed', 3, n % 20 = 0, '{}',"
            " now() - n * interval '1 minute', now() - n * interval '1 minute',"
            " 'sequence_finished', now(), now() FROM generate_series(1, :count) AS n"
        ),
        {"shop": shop.id, "count": count},
    )
    db.session.execute(sa.text("ANALYZE flow_runs"))


def _plan(statement: sa.Executable) -> str:
    sql = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return "\n".join(db.session.scalars(sa.text(f"EXPLAIN {sql}")))


def test_a_batchs_finished_reminders_are_read_by_subject_index(shop: Shop):
    _finished_reminders(shop, 5000)
    subjects = [(shop.id, "cart:c17"), (shop.id, "cart:c4242"), (shop.id, "cart:nobody")]
    read = abandoned_cart._LAST_FINISHED.params(subjects=subjects)
    found = {subject: at for _, subject, at in db.session.execute(read)}
    assert set(found) == {"cart:c17", "cart:c4242"}  # the read finds what is there
    plan = _plan(read)
    assert SUBJECT_INDEX in plan, plan
    assert "Seq Scan" not in plan, plan


def test_one_subjects_runs_are_read_by_subject_index(shop: Shop):
    _finished_reminders(shop, 5000)
    read = sa.select(FlowRun.id).where(
        FlowRun.shop_id == shop.id,
        FlowRun.flow_key == "abandoned_cart",
        FlowRun.subject_key == "cart:c99",
    )
    assert len(db.session.scalars(read).all()) == 1
    plan = _plan(read)
    assert SUBJECT_INDEX in plan, plan


def test_an_orders_held_out_runs_are_read_by_the_holdout_indexes(shop: Shop):
    _finished_reminders(shop, 20000)
    read = attribution._HOLDOUT_RUNS.params(
        {SHOP_PARAM: shop.id, "customer_id": 12345, "cart_subject": "cart:c40", "placed_at": NOW}
    )
    runs = db.session.scalars(read).all()
    assert [run.subject_key for run in runs] == ["cart:c40"]  # held out: 40 is a twentieth
    plan = _plan(read)
    assert "ix_flow_runs_held_out_customer_id" in plan, plan
    assert "ix_flow_runs_held_out_subject_key" in plan, plan
    assert "Seq Scan" not in plan, plan
