"""Messages sent by flows, and the discount codes some of them carry."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, Timestamps, db

# A step waiting on a provider's "try later" is "pending" again, with its run's timer set.
# "uncertain": the worker died between handing the mail server the message's final dot and
# hearing its answer; it is not sent again (app/flows/engine/delivery.py says why).
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed", "skipped", "uncertain")


class Message(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "messages"
    shop_id_index = False  # an index of the table leads with shop_id
    # Exactly once: one message per step of a run, enforced by the database. Every unique
    # key leads with the shop, as a database sharded by shop needs (tests/models/test_keys.py).
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "run_id", "step"),
        sa.UniqueConstraint("shop_id", "idempotency_key"),
        # The merchant page's 30-day counts of sent, opened and clicked emails.
        sa.Index(
            "ix_messages_shop_sent",
            "shop_id",
            "sent_at",
            postgresql_include=["flow_key", "status", "opened_at", "clicked_at"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("flow_runs.id", ondelete="CASCADE"))
    # The run's flow, copied so the merchant page counts a flow's emails from one index.
    flow_key: Mapped[str | None] = mapped_column(sa.String(40))
    step: Mapped[int]
    channel: Mapped[str] = mapped_column(sa.String(10))  # email | sms
    kind: Mapped[str] = mapped_column(sa.String(15), default="marketing")  # or transactional
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    provider_id: Mapped[str | None] = mapped_column(sa.String(255))
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    # How far the handing over got (senders.SEND_STAGES), written as it goes: a worker killed
    # mid-dialogue leaves the answer to "can the mail server have it?" behind.
    send_stage: Mapped[str | None] = mapped_column(sa.String(12))
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Discount(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "discounts"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    recipient: Mapped[str | None] = mapped_column(sa.String(320))
    kind: Mapped[str] = mapped_column(sa.String(12), default="percentage")
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    expires_at: Mapped[datetime]
    platform_discount_id: Mapped[str | None] = mapped_column(sa.String(128))
    used_at: Mapped[datetime | None]
