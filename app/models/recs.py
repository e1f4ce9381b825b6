"""Data the recommendation and segment jobs compute from orders, kept per shop.

``OrderLine`` is ``Order.items`` normalised (one row per product of an order) so the nightly
co-purchase model and bestsellers read an indexed table instead of parsing JSON per order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, db, utcnow


class OrderLine(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "order_lines"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.Index("ix_order_lines_shop_placed", "shop_id", "placed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    # The platform's product id, as in ``Order.items``: the product may not be synced yet.
    platform_product_id: Mapped[str] = mapped_column(sa.String(64))
    platform_variant_id: Mapped[str | None] = mapped_column(sa.String(64))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    placed_at: Mapped[datetime]


class Recommendation(ShopOwned, db.Model):  # type: ignore[name-defined]
    """One learned suggestion; ``product_id`` is NULL for the shop-wide bestseller list."""

    __tablename__ = "recommendations"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.Index("ix_recommendations_lookup", "shop_id", "product_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    recommended_product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE")
    )
    # co_purchase | view_purchase (product_id was viewed by customers who bought the other) |
    # bestseller | repurchase (a staple: product_id = recommended_product_id,
    # score = share of its buyers who rebuy, rank = median days between two purchases)
    source: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[float] = mapped_column(sa.Float)
    # How many customers bought both (co_purchase) or the product (bestseller).
    support: Mapped[int]
    rank: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerScore(ShopOwned, db.Model):  # type: ignore[name-defined]
    """RFM quintiles (1 = lowest, 5 = best) of a customer who has ordered."""

    __tablename__ = "customer_scores"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.PrimaryKeyConstraint("shop_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    recency: Mapped[int] = mapped_column(sa.SmallInteger)
    frequency: Mapped[int] = mapped_column(sa.SmallInteger)
    monetary: Mapped[int] = mapped_column(sa.SmallInteger)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdleEmission(ShopOwned, db.Model):  # type: ignore[name-defined]
    """Each time the idle scan said a customer went quiet; the cooldown reads this."""

    __tablename__ = "idle_emissions"
    __table_args__ = (sa.Index("ix_idle_emissions_customer_at", "customer_id", "emitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    last_order_at: Mapped[datetime]
    emitted_at: Mapped[datetime] = mapped_column(default=utcnow)
