"""Declarative base, shared column types and the shop-ownership mixin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend.

    SQLite drops the offset; we store UTC and hand back aware values so comparisons between
    platform times and ours never mix naive and aware datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Money = sa.Numeric(12, 2)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSONType},
    )


db = SQLAlchemy(model_class=Base)


class ShopOwned:
    """Every row belongs to exactly one shop; queries go through ``ShopScope``.

    ``shop_id`` has an index of its own unless the table says ``shop_id_index = False``,
    which it does when another of its indexes (not a partial one) already leads with
    ``shop_id``: that one finds a shop's rows as well (the scoped reads, a shop's deletion
    cascading), and each index more is one more write on every insert
    (``tests/models/test_shop_keys.py`` holds every table to this)."""

    shop_id_index: ClassVar[bool] = True

    @declared_attr
    def shop_id(cls) -> Mapped[int]:
        return mapped_column(
            sa.ForeignKey("shops.id", ondelete="CASCADE"),
            index=cls.shop_id_index,
            nullable=False,
        )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
