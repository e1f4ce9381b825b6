"""Shipments and their labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, Timestamps, db, utcnow


class Shipment(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "shipments"
    shop_id_index = False  # an index of the table leads with shop_id
    # Creating a shipment is idempotent: one per parcel of an order.
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "order_id", "parcel_index"),
        # The tracking plan: each courier's due shipments, oldest due first.
        sa.Index("ix_shipments_courier_next_track_at", "courier", "next_track_at"),
    )

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
    # Following the parcel to the door (app/shipping/tracking.py is the one writer):
    # our status (base.TRACKING_STATUSES), when the courier was last asked, when to ask next
    # (None once the status is final), and when it was delivered.
    tracking_status: Mapped[str | None] = mapped_column(sa.String(20))
    tracking_checked_at: Mapped[datetime | None]
    next_track_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class ShipmentEvent(ShopOwned, db.Model):  # type: ignore[name-defined]
    """One scan of a shipment's history as the courier reported it; stored once."""

    __tablename__ = "shipment_events"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.UniqueConstraint(
            "shop_id",
            "shipment_id",
            "courier_status",
            "happened_at",
            name="uq_shipment_events_shop_id_shipment_id_scan",  # the generated name is too long
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20))
    courier_status: Mapped[str] = mapped_column(sa.String(255))
    # The courier's own timestamp text ("" when it gave none): couriers write local times in
    # their own formats; the row's order of arrival is ``id``.
    happened_at: Mapped[str] = mapped_column(sa.String(40), default="")
    location: Mapped[str] = mapped_column(sa.String(255), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class LabelBatch(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    """One bulk print asked for in the Labels tab: its orders, progress and the file made.

    Written by app/shipping/batches.py only: the page creates it and queues the work; jobs
    create the missing shipments and assemble ``content`` from shipments already created.
    """

    __tablename__ = "label_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="working")  # working|ready
    layout: Mapped[str] = mapped_column(sa.String(10), default="a6")
    start_offset: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(sa.String(4), default="pdf")  # pdf|zpl
    order_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    printed: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    failures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    finished_at: Mapped[datetime | None]
