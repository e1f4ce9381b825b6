"""Engagement scores, lifecycle stages and the staff alerts the merchant asked for.

``CustomerEngagement`` holds one row per scored customer, written only by the daily score
(``app/insights/engagement.py``) and only when a customer's score or stage changed; its
``previous_*`` columns are what the row held before that change (a score crossing a
threshold is read from them). ``EngagementStageChange`` keeps every stage move, so the
merchant page can say how customers moved this month (stage-change rows, not a monthly
snapshot: a month's moves are the rows of that month).

``AlertRule`` is what the merchant set; ``StaffAlert`` is one alert of one rule for one
customer in one period, unique on (shop, rule, customer, period start): each alert once per
customer per rule per period, enforced by the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, db, utcnow
from app.models.tracking import BigId

STAGES = ("new", "active", "at_risk", "lapsed")
ALERT_KINDS = ("score_above", "score_below", "cart_abandoned", "vip_overdue", "page_viewed")


class CustomerEngagement(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "customer_engagement"
    # The stage counts on the merchant page read this index only.
    __table_args__ = (sa.Index("ix_customer_engagement_stage", "shop_id", "stage"),)

    shop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    stage: Mapped[str] = mapped_column(sa.String(10))
    previous_score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    previous_stage: Mapped[str | None] = mapped_column(sa.String(10))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)  # when score or stage changed
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)


class EngagementStageChange(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "engagement_stage_changes"
    __table_args__ = (
        sa.Index("ix_engagement_stage_changes_at", "shop_id", "changed_at"),
        sa.Index("ix_engagement_stage_changes_customer", "shop_id", "customer_id"),
    )

    # No index on shop_id alone: both indexes above start with it (fewer writes per move).
    shop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(sa.String(10))  # None: first scored
    to_stage: Mapped[str] = mapped_column(sa.String(10))
    changed_at: Mapped[datetime]


class AlertRule(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # one of ALERT_KINDS
    # The score N (score_*), the cart amount (cart_abandoned); unused by the others.
    threshold: Mapped[Decimal | None] = mapped_column(Money)
    # page_viewed: the product's page address or its platform id, as the merchant typed it.
    target: Mapped[str | None] = mapped_column(sa.String(1000))
    period_days: Mapped[int] = mapped_column(default=7)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffAlert(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "staff_alerts"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "rule_id", "customer_id", "period_start"),
        sa.Index("ix_staff_alerts_customer", "shop_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_rules.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    period_start: Mapped[date]
    # What the rule saw: a score, a cart's total, a product id. No name, no address.
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    webhook_at: Mapped[datetime | None]
