"""Shops (tenants) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app import crypto
from app.models.base import ShopOwned, Timestamps, db, utcnow
from app.models.shop_settings import (
    Attention,
    Branding,
    HistoryImport,
    IdleRule,
    LegalAddress,
    MerchantContact,
    RecommendationEvidence,
    RecommendationKnobs,
    ReconcileState,
    Sender,
    SendTimePrior,
    SmsChannel,
    StaffAlertSettings,
    StoreConnection,
    Stored,
    StorefrontTracking,
    SyncState,
)

SHOP_STATUSES = ("installing", "active", "uninstalled", "redacted")
# What a marketing email legally needs from the shop, in the order the merchant page lists it.
MARKETING_NEEDS = ("legal_address", "sender")


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
    # The stored JSON; read and write it through the typed sections below, one per concern.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    installed_at: Mapped[datetime | None]
    uninstalled_at: Mapped[datetime | None]

    branding = Stored(Branding)
    legal_address = Stored(LegalAddress)
    sender = Stored(Sender)
    sms_channel = Stored(SmsChannel)
    store_connection = Stored(StoreConnection)
    merchant_contact = Stored(MerchantContact)
    sync_state = Stored(SyncState)
    reconcile_state = Stored(ReconcileState)
    history_import = Stored(HistoryImport)
    attention = Stored(Attention)
    recommendation_knobs = Stored(RecommendationKnobs)
    recommendation_evidence = Stored(RecommendationEvidence)
    idle_rule = Stored(IdleRule)
    storefront_tracking = Stored(StorefrontTracking)
    staff_alerts = Stored(StaffAlertSettings)
    send_time_prior = Stored(SendTimePrior)

    @property
    def display_name(self) -> str:
        """The name shoppers see: the sender name the merchant chose, else the shop's."""
        return self.sender.name or self.name or self.domain

    @property
    def zone(self) -> ZoneInfo:
        """The shop's timezone (UTC when it names none we know): quiet hours and best send
        times are the shop's local hours."""
        try:
            return ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def store_url(self) -> str:
        """The storefront's base URL: the one a WooCommerce store connected with, else its
        domain over https."""
        return self.store_connection.store_url or f"https://{self.domain}"

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


def missing_for_marketing(shop: Shop) -> list[str]:
    """What of ``MARKETING_NEEDS`` the shop still lacks; empty when marketing mail may go.

    A domain is not a trading name: the sender needs a name the merchant gave.
    """
    missing = []
    if not shop.legal_address.is_set:
        missing.append("legal_address")
    if not (shop.sender.name.strip() or (shop.name or "").strip()):
        missing.append("sender")
    return missing


class AuditLog(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))  # "system", "support:alice", "merchant"
    action: Mapped[str] = mapped_column(sa.String(80))
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
