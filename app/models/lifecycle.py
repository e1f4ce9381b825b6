"""What the lifecycle scans (birthdays, replenishment) reported, so each is reported once.

A row says "this customer was found for this occasion": ``kind`` is ``birthday`` (``key`` the
year of the birthday: once a year) or ``replenishment`` (``key`` the product's platform id and
the day it was last bought: once per purchase cycle). The scans insert with ON CONFLICT DO
NOTHING and act only on the rows they inserted, so a rerun finds nobody new.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ShopOwned, db, utcnow
from app.models.flows import flow_setting

BIRTHDAY_FLOW_KEY = "birthday"
# Shopify's standard customer metafield definition "Birth date" (namespace.key).
DEFAULT_BIRTHDAY_METAFIELD = "facts.birth_date"


class LifecycleEmission(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "lifecycle_emissions"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "kind", "customer_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(96))
    emitted_at: Mapped[datetime] = mapped_column(default=utcnow)


def birthday_metafield(shop_id: int) -> str:
    """The Shopify customer metafield (``namespace.key``) the merchant keeps birthdays in."""
    row = flow_setting(shop_id, BIRTHDAY_FLOW_KEY)
    named = str((row.values or {}).get("birthday_metafield") or "") if row is not None else ""
    return named or DEFAULT_BIRTHDAY_METAFIELD


__all__ = [
    "BIRTHDAY_FLOW_KEY",
    "DEFAULT_BIRTHDAY_METAFIELD",
    "LifecycleEmission",
    "birthday_metafield",
]
