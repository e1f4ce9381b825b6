"""Joining an anonymous storefront visitor to the customer they turn out to be.

Both the collector (a sign-in or a checkout email sent by the pixel) and the plugin's own signed
cart and contact events (the visitor cookie the product-page script set) end here, so a
shopper's earlier views join their history whichever way they became known.
"""

from __future__ import annotations

import re

from app.models import ShopScope, StorefrontEvent, StorefrontVisitor, db, utcnow
from app.models.sql import insert_ignoring_conflict

# What the storefront scripts make (a UUID, or 32 hex digits where randomUUID is missing).
VISITOR_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def link_visitor(shop_id: int, visitor_id: str, customer_id: int) -> None:
    """The visitor is this customer: link them, and their earlier views join the customer's."""
    scope = ShopScope(shop_id)
    new = insert_ignoring_conflict(
        StorefrontVisitor,
        {"shop_id": shop_id, "visitor_id": visitor_id, "customer_id": customer_id},
    )
    if new is None:  # linked before: relink when the same browser now signs in as someone else
        db.session.execute(
            scope.update(StorefrontVisitor, StorefrontVisitor.visitor_id == visitor_id).values(
                customer_id=customer_id, linked_at=utcnow()
            )
        )
    db.session.execute(
        scope.update(
            StorefrontEvent,
            StorefrontEvent.visitor_id == visitor_id,
            StorefrontEvent.customer_id.is_(None),
        ).values(customer_id=customer_id)
    )
