"""What shoppers look at on the storefront, and who the anonymous visitors turn out to be.

``StorefrontEvent`` is append-only: the collector writes it in bulk, the browse scan and the
product blocks read "this customer's views in the last N days" through its customer index, and
the retention job drops rows older than the shop's setting. ``StorefrontVisitor`` links a
visitor id (a first-party cookie set only with consent) to the customer it turned out to be.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Money, ShopOwned, db, utcnow

EVENT_KINDS = ("product_viewed", "collection_viewed", "search_submitted")
# SQLite only auto-numbers an INTEGER primary key; PostgreSQL gets the 64-bit one it needs.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class StorefrontEvent(ShopOwned, db.Model):  # type: ignore[name-defined]
    __tablename__ = "storefront_events"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        # "this customer's views in the last N days" (scan, product blocks, erasure)
        sa.Index("ix_storefront_events_customer", "shop_id", "customer_id", "occurred_at"),
        # the browse scan's window and the retention sweep
        sa.Index("ix_storefront_events_recent", "shop_id", "occurred_at"),
        # stitching a visitor's earlier views to the customer
        sa.Index("ix_storefront_events_visitor", "shop_id", "visitor_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visitor_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(24))
    product_id: Mapped[str | None] = mapped_column(sa.String(64))  # the platform's id
    variant_id: Mapped[str | None] = mapped_column(sa.String(64))
    # A collection's id, or the search terms (cut to the column), by kind.
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    # The product's price in our catalog when the view was stored: what the page showed (the
    # catalog follows the shop by webhooks), so "cheaper now" compares with what they saw.
    # Not the browser's word for it: a price sent by the pixel could be anything.
    price_seen: Mapped[Decimal | None] = mapped_column(Money)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class StorefrontVisitor(ShopOwned, db.Model):  # type: ignore[name-defined]
    """A visitor id that became a known customer (login, checkout contact, our email link)."""

    __tablename__ = "storefront_visitors"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "visitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class BrowseEmission(ShopOwned, db.Model):  # type: ignore[name-defined]
    """A product the browse scan reported for a customer: never the same one again within the
    flow's cooldown (30 days by default), whatever the flow then did with it."""

    __tablename__ = "browse_emissions"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.Index("ix_browse_emissions_lookup", "shop_id", "customer_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.String(64))
    emitted_at: Mapped[datetime]


class CheckoutClaim(ShopOwned, db.Model):  # type: ignore[name-defined]
    """A visitor's browser said "this checkout is mine" before the shop's checkout webhook told
    us whose checkout it is: kept (a day at most) until it can be checked against the cart."""

    __tablename__ = "storefront_checkout_claims"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.UniqueConstraint("shop_id", "checkout_key", "visitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_key: Mapped[str] = mapped_column(sa.String(255))  # the cart's ``cart_key``
    visitor_id: Mapped[str] = mapped_column(sa.String(64))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductAlert(ShopOwned, db.Model):  # type: ignore[name-defined]
    """A shopper told (or about to be told) that a product they viewed or carted is cheaper
    (``price_drop``) or back (``back_in_stock``): never the same product and kind again within
    30 days, whatever the flow then did with it (held out, stopped)."""

    __tablename__ = "product_alerts"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (
        sa.Index("ix_product_alerts_lookup", "shop_id", "customer_id", "product_id", "kind"),
        sa.Index("ix_product_alerts_waiting", "shop_id", "enrolled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(sa.String(64))  # the platform's id
    # The variant the shopper viewed or carted (the platform's id), when the catalog knows it:
    # its price, not the product's "from" price, is the one they are told of.
    variant_id: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # The price the shopper last saw and the price now (a price drop; None for a restock).
    old_price: Mapped[Decimal | None] = mapped_column(Money)
    new_price: Mapped[Decimal | None] = mapped_column(Money)
    emitted_at: Mapped[datetime]
    # When the shopper's run was started (None: waiting for the alert job's next batch).
    enrolled_at: Mapped[datetime | None]


class CatalogChange(ShopOwned, db.Model):  # type: ignore[name-defined]
    """A price drop or a restock the catalog writer reported, waiting for the alert job to find
    who watched the product. Kept in the database (not only in the job's arguments) so that a
    lost job is found again by the sweep."""

    __tablename__ = "catalog_changes"
    shop_id_index = False  # an index of the table leads with shop_id
    __table_args__ = (sa.Index("ix_catalog_changes_waiting", "shop_id", "handled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[str] = mapped_column(sa.String(64))  # the platform's id
    kind: Mapped[str] = mapped_column(sa.String(16))  # price_drop | back_in_stock
    old_price: Mapped[Decimal | None] = mapped_column(Money)
    new_price: Mapped[Decimal | None] = mapped_column(Money)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
