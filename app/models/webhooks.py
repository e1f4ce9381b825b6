"""Raw webhook deliveries: stored before we answer, processed by a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, db, utcnow

DELIVERY_STATUSES = ("received", "processed", "failed", "ignored")


class WebhookDelivery(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "webhook_deliveries"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "delivery_id"),
        sa.Index("ix_webhook_deliveries_status_received_at", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(20))
    delivery_id: Mapped[str] = mapped_column(sa.String(128))
    topic: Mapped[str] = mapped_column(sa.String(80))
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(12), default="received")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
