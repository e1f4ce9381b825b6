"""Shops (tenants) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app import crypto
from app.models.base import ShopOwned, Timestamps, db, utcnow

SHOP_STATUSES = ("installing", "active", "uninstalled", "redacted")


class Shop(Timestamps, db.Model):  # type: ignore[name-defined]
    __tablename__ = "shops"
    __table_args__ = (sa.UniqueConstraint("platform", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(20))
    domain: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="installing")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Fernet token of a JSON object (access/refresh tokens, API keys, webhook secrets).
    credentials_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    installed_at: Mapped[datetime | None]
    uninstalled_at: Mapped[datetime | None]

    @property
    def credentials(self) -> dict[str, Any]:
        if not self.credentials_encrypted:
            return {}
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(value) if value else None

    def __repr__(self) -> str:
        return f"<Shop {self.id} {self.platform}:{self.domain} {self.status}>"


class AuditLog(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))  # "system", "support:alice", "merchant"
    action: Mapped[str] = mapped_column(sa.String(80))
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
