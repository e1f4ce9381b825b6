"""Carts and orders: what shoppers left behind and what they bought."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, Timestamps, db

# What events.apply writes: active (has items), expired (emptied), converted (ordered),
# deleted (the platform deleted the checkout: nothing will bring it back).
CART_STATUSES = ("active", "converted", "expired", "deleted")
# What a flow or the label printer can wait for in an order's life (``Order.reached``).
ORDER_MILESTONES = ("placed", "paid", "fulfilled")


class Cart(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "carts"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "cart_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_key: Mapped[str] = mapped_column(sa.String(255))
    # Shopify's ``cart_token``: the one key ``checkouts/delete`` names the checkout by.
    platform_cart_token: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(sa.String(320))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    restore_url: Mapped[str | None] = mapped_column(sa.String(2000))
    status: Mapped[str] = mapped_column(sa.String(12), default="active", index=True)
    # The platform's time of the newest state we hold (the issue's ``updated_at``).
    platform_updated_at: Mapped[datetime | None] = mapped_column(index=True)


class Order(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "orders"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "platform_order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_order_id: Mapped[str] = mapped_column(sa.String(64))
    order_number: Mapped[str | None] = mapped_column(sa.String(64))
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str | None] = mapped_column(sa.String(320))
    cart_key: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    cancelled: Mapped[bool] = mapped_column(default=False)
    payment_method: Mapped[str | None] = mapped_column(sa.String(64))
    is_cod: Mapped[bool] = mapped_column(default=False)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The order's milestones, in the platform's time. Placed and paid are apart: a
    # cash-on-delivery order is placed (label printed, cart reminders stop) and paid on delivery.
    placed_at: Mapped[datetime] = mapped_column(index=True)  # the platform's created_at
    paid_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]  # first shipment sent (Shopify fulfilment, WC completed)
    # Refunds by the platform's refund id -> amount (text), so one seen twice counts once;
    # ``refunded`` is their sum, kept beside them for the revenue queries.
    refunds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refunded: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    platform_updated_at: Mapped[datetime | None]

    @property
    def paid(self) -> bool:
        return self.paid_at is not None

    def reached(self, milestone: str) -> datetime | None:
        """When the order reached ``milestone`` (one of ``ORDER_MILESTONES``); None: not yet."""
        if self.cancelled:
            return None
        return {
            "placed": self.placed_at,
            "paid": self.paid_at,
            "fulfilled": self.fulfilled_at,
        }[milestone]
