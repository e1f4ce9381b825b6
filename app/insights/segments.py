"""RFM segments: recency, frequency and monetary scores, 1 (lowest) to 5 (best).

Scores are quintiles among the shop's customers who ordered, by cumulative share so customers
with equal values get equal scores (a shop where most people ordered once gives them all the
same frequency score, instead of splitting them arbitrarily as ``ntile`` would).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.models import Customer, CustomerScore, ShopScope, db
from app.models.base import UTCDateTime
from app.models.sql import dialect_insert

RFM = ("recency", "frequency", "monetary")


def quintile(order_by: Any) -> sa.ColumnElement[int]:
    """1-5 by the share of customers at or below this one's value (their cumulative share).

    Spelled with ``rank`` rather than ``cume_dist``: PostgreSQL's cume_dist looks for each
    row's peers anew, which is quadratic when most customers share a value (one order).
    """
    higher_or_equal = sa.func.rank().over(order_by=order_by.desc())
    total = sa.func.count().over()
    share = (total - higher_or_equal + 1) * 1.0 / total
    return sa.case(
        (share <= 0.2, 1), (share <= 0.4, 2), (share <= 0.6, 3), (share <= 0.8, 4), else_=5
    )


def score_customers(shop_id: int, now: datetime) -> int:
    """Bring the shop's RFM scores up to date; returns how many customers' scores changed.

    Most scores are the same as yesterday's, so only changed rows are written (an upsert that
    skips equal rows): a daily rewrite of every row would leave a million dead tuples behind.
    ``scored_at`` is when a customer's scores last changed.
    """
    scope = ShopScope(shop_id)
    scorable = sa.and_(
        Customer.order_count > 0,
        Customer.redacted_at.is_(None),
        Customer.last_order_at.is_not(None),
    )
    scores = scope.select(Customer, scorable).with_only_columns(
        Customer.shop_id,
        Customer.id,
        quintile(Customer.last_order_at),
        quintile(Customer.order_count),
        quintile(Customer.total_spent),
        sa.literal(now, UTCDateTime()),
    )
    unscorable = scope.select(Customer, ~scorable).with_only_columns(Customer.id)
    db.session.execute(scope.delete(CustomerScore, CustomerScore.customer_id.in_(unscorable)))
    result = db.session.execute(_upsert_changed(scores).execution_options(preserve_rowcount=True))
    return int(getattr(result, "rowcount", 0) or 0)


def _upsert_changed(scores: Any) -> Any:
    columns = ["shop_id", "customer_id", "recency", "frequency", "monetary", "scored_at"]
    insert = dialect_insert(CustomerScore).from_select(columns, scores)
    table, new = CustomerScore.__table__, insert.excluded
    changed = sa.or_(*(table.c[c] != new[c] for c in RFM))
    return insert.on_conflict_do_update(
        index_elements=["shop_id", "customer_id"],
        set_={c: new[c] for c in (*RFM, "scored_at")},
        where=changed,
    )


def rfm_scores(shop_id: int, customer_id: int) -> CustomerScore | None:
    return ShopScope(shop_id).first(CustomerScore, CustomerScore.customer_id == customer_id)


def rfm_at_least(
    customer: Customer, *, recency: int = 1, frequency: int = 1, monetary: int = 1
) -> bool:
    """A flow condition: does the customer reach these scores? False until first scored."""
    scores = rfm_scores(customer.shop_id, customer.id)
    if scores is None:
        return False
    return (
        scores.recency >= recency and scores.frequency >= frequency and scores.monetary >= monetary
    )
