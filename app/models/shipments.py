"""Shipments and their labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, Timestamps, db


class Shipment(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "shipments"
    # Creating a shipment is idempotent: one per parcel of an order.
    __table_args__ = (sa.UniqueConstraint("order_id", "parcel_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    parcel_index: Mapped[int] = mapped_column(default=0)
    courier: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    carrier_shipment_id: Mapped[str | None] = mapped_column(sa.String(128))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(128))
    tracking_url: Mapped[str | None] = mapped_column(sa.String(1000))
    label_format: Mapped[str] = mapped_column(sa.String(10), default="PDF_A6")
    label: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    error: Mapped[str | None] = mapped_column(sa.Text)
    tracking_pushed_at: Mapped[datetime | None]
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
