from __future__ import annotations

from app.connectors.couriers.base import TrackingEvent, TrackingStatus
from app.events import types as ev
from app.events.apply import apply
from app.models import Order, Shipment, ShopScope, db, utcnow
from app.shipping import tracking
from app.shipping.bulk import bulk_print


def shipments_by_order(shop) -> dict[str, Shipment]:
    db.session.expire_all()
    scope = ShopScope(shop.id)
    orders = {o.id: o.platform_order_id for o in scope.all(Order)}
    return {orders[s.order_id]: s for s in scope.all(Shipment)}


def test_redacting_a_customer_erases_the_address_from_their_shipments_only(
    labelled_shop, make_orders
):
    theirs = make_orders(1, email="ola@example.com")
    others = make_orders(1, email="jan@example.com")
    bulk_print(labelled_shop.id, theirs + others)

    apply(
        ev.CustomerRedact(
            shop_id=labelled_shop.id, customer=ev.Contact(email="ola@example.com"), order_ids=()
        )
    )
    db.session.commit()

    shipments = shipments_by_order(labelled_shop)
    assert (shipments["7000"].request, shipments["7000"].label) == ({}, None)
    assert shipments["7000"].tracking_number  # the row stays, like the order
    assert shipments["7001"].request["recipient"]["name"] == "Ola Nowak"
    assert shipments["7001"].label is not None


def test_redacting_the_shop_erases_every_shipments_address(labelled_shop, make_orders):
    bulk_print(labelled_shop.id, make_orders(2))

    apply(ev.ShopRedact(shop_id=labelled_shop.id))
    db.session.commit()

    assert all(
        (s.request, s.label) == ({}, None) for s in shipments_by_order(labelled_shop).values()
    )


def test_redaction_erases_the_scanned_places_of_the_customers_tracking_history(
    labelled_shop, make_orders
):
    theirs = make_orders(1, email="ola@example.com")
    others = make_orders(1, email="jan@example.com")
    bulk_print(labelled_shop.id, theirs + others)
    answer = TrackingStatus(
        "delivered",
        "S2 Livrat",
        "2026-11-28 12:00:00",
        history=(TrackingEvent("delivered", "S2 Livrat", "2026-11-28 12:00:00", "Kraków"),),
    )
    for shipment in shipments_by_order(labelled_shop).values():
        tracking.record(shipment, answer, utcnow())

    apply(
        ev.CustomerRedact(
            shop_id=labelled_shop.id, customer=ev.Contact(email="ola@example.com"), order_ids=()
        )
    )
    db.session.commit()

    shipments = shipments_by_order(labelled_shop)
    [erased] = tracking.history(labelled_shop.id, shipments["7000"].id)
    [kept] = tracking.history(labelled_shop.id, shipments["7001"].id)
    assert (erased.status, erased.location) == ("delivered", "")
    assert kept.location == "Kraków"
