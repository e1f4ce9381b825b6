"""Each customer's best hour to get an email, learned nightly from when they open, click and
order (``app/insights/send_time.py``); the flows read it for steps set to "best time"."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, db, utcnow


class PreferredHour(ShopOwned, db.Model):  # type: ignore[name-defined]
    """One row per customer with any activity in the lookback; a customer without a row gets
    the shop's hour (``Shop.send_time_prior``)."""

    __tablename__ = "preferred_hours"
    __table_args__ = (
        # customer_id first: a customer's deletion (ON DELETE CASCADE) finds its row by it.
        sa.PrimaryKeyConstraint("customer_id", "shop_id"),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name="hour_of_day"),
    )

    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(sa.SmallInteger)  # 0-23, in the shop's timezone
    # Their own opens, clicks and orders it was learned from (below K the shop's hour weighs in).
    events: Mapped[int]
    # The run that last changed hour or events (the shop's last run: ``Shop.send_time_prior``).
    learned_at: Mapped[datetime] = mapped_column(default=utcnow)
