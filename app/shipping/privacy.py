"""GDPR redaction reaches shipments: a label and its request hold the recipient's address.

Runs after the records layer has anonymised the orders (listeners see events after the rows
are written), so "the order's address is gone" is how we know which shipments to erase. The
shipment rows stay, without personal data, like the orders they belong to; their tracking
history keeps its statuses and loses the places scanned (the last one is the recipient's town).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.events import types as ev
from app.models import Order, Shipment, ShipmentEvent, ShopScope, db

ERASED: dict[str, object] = {"request": {}, "label": None}


def erase_redacted_shipments(event: ev.Event) -> None:
    scope = ShopScope(event.shop_id)
    if isinstance(event, ev.ShopRedact):
        db.session.execute(scope.update(Shipment).values(**ERASED))
        db.session.execute(scope.update(ShipmentEvent).values(location=""))
        return
    if not isinstance(event, ev.CustomerRedact):
        return
    rows = db.session.execute(
        scope.select(Shipment)
        .with_only_columns(Shipment.id, Order.shipping_address)
        .join(Order, sa.and_(Order.shop_id == Shipment.shop_id, Order.id == Shipment.order_id))
        .where(Order.email.is_(None))
    ).all()
    ids = [shipment_id for shipment_id, address in rows if not address]
    if ids:
        db.session.execute(scope.update(Shipment, Shipment.id.in_(ids)).values(**ERASED))
        db.session.execute(
            scope.update(ShipmentEvent, ShipmentEvent.shipment_id.in_(ids)).values(location="")
        )
