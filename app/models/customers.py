"""Customers, their consent, and suppressions (unsubscribes, bounces, complaints)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, Timestamps, db, utcnow

# "pending": the shopper signed up but has not yet clicked the double opt-in confirmation;
# no marketing goes to them until they do (``is_marketing_allowed`` wants "granted").
CONSENT_STATES = ("unknown", "pending", "granted", "denied", "withdrawn")


class Customer(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "customers"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "platform_customer_id"),
        sa.UniqueConstraint("shop_id", "email"),
        # The setup checklist: has any customer agreed to email yet?
        sa.Index("ix_customers_shop_consent", "shop_id", "email_consent"),
        # The birthday scan reads only the customers who have a birthday.
        sa.Index(
            "ix_customers_shop_birthday",
            "shop_id",
            "birthday",
            postgresql_where=sa.text("birthday IS NOT NULL"),
            sqlite_where=sa.text("birthday IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_customer_id: Mapped[str | None] = mapped_column(sa.String(64))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    first_name: Mapped[str] = mapped_column(sa.String(120), default="")
    last_name: Mapped[str] = mapped_column(sa.String(120), default="")
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    birthday: Mapped[date | None]
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    email_consent: Mapped[str] = mapped_column(sa.String(12), default="unknown")
    email_consent_at: Mapped[datetime | None]
    email_consent_source: Mapped[str | None] = mapped_column(sa.String(64))
    # The proof a double opt-in leaves: the address the confirmation click came from.
    email_consent_ip: Mapped[str | None] = mapped_column(sa.String(45))
    sms_consent: Mapped[str] = mapped_column(sa.String(12), default="unknown")
    sms_consent_at: Mapped[datetime | None]
    sms_consent_source: Mapped[str | None] = mapped_column(sa.String(64))
    first_order_at: Mapped[datetime | None]
    last_order_at: Mapped[datetime | None]
    order_count: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    # The platform's own time of the newest state we hold; older updates are ignored.
    platform_updated_at: Mapped[datetime | None]
    redacted_at: Mapped[datetime | None]

    def is_marketing_allowed(self, channel: str = "email") -> bool:
        state = self.email_consent if channel == "email" else self.sms_consent
        return state == "granted" and self.redacted_at is None


class Suppression(ShopOwned, db.Model):  # type: ignore[name-defined]
    """An address we must not send marketing to, whatever the platform later says."""

    __tablename__ = "suppressions"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))  # email | sms
    address: Mapped[str] = mapped_column(sa.String(320))
    reason: Mapped[str] = mapped_column(sa.String(40))  # unsubscribe | bounce | complaint
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
