"""Products and variants, kept in step with the shop's catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, Timestamps, db


class Product(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "products"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "platform_product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_product_id: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(500), default="")
    handle: Mapped[str | None] = mapped_column(sa.String(255))
    url: Mapped[str | None] = mapped_column(sa.String(1000))
    image_url: Mapped[str | None] = mapped_column(sa.String(1000))
    category: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")  # active|draft|deleted
    price: Mapped[Decimal | None] = mapped_column(Money)
    compare_at_price: Mapped[Decimal | None] = mapped_column(Money)
    in_stock: Mapped[bool] = mapped_column(default=True)
    cross_sell_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    upsell_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    platform_updated_at: Mapped[datetime | None]


class Variant(ShopOwned, Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "variants"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "platform_variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    platform_variant_id: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(500), default="")
    sku: Mapped[str | None] = mapped_column(sa.String(120))
    price: Mapped[Decimal | None] = mapped_column(Money)
    compare_at_price: Mapped[Decimal | None] = mapped_column(Money)
    stock: Mapped[int | None]
    weight_grams: Mapped[int | None]
    image_url: Mapped[str | None] = mapped_column(sa.String(1000))
