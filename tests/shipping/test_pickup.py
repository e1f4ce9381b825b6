"""Courier pickup from the Labels tab: the page only queues, the job asks the courier once."""

from __future__ import annotations

import responses

from app.connectors.couriers.cargus import API as CARGUS
from app.models import AuditLog, Shipment, ShopScope, db
from app.shipping import settings as label_settings
from app.shipping.pickup import order_pickup, shop_day
from tests.shipping.test_listener import SENDER

CREDENTIALS = {
    "subscription_key": "sub",
    "username": "u",
    "password": "p",
    "pickup_location_id": 201165677,
}


def cargus_shop(shop, make_orders, parcels: int) -> None:
    settings = label_settings.LabelSettings(enabled=True, courier="cargus", sender=SENDER)
    label_settings.save(shop.id, settings, CREDENTIALS)
    for index, order_id in enumerate(make_orders(parcels)):
        ShopScope(shop.id).add(
            Shipment(
                order_id=order_id,
                courier="cargus",
                status="created",
                idempotency_key=f"k{index}",
                tracking_number=f"104{index}",
                request={"parcels": [{"weight_kg": "1.5"}]},
            )
        )
    db.session.commit()


@responses.activate
def test_merchant_orders_a_pickup_and_the_courier_is_asked_once_by_a_job(
    merchant, shop, make_orders, run_jobs
):
    cargus_shop(shop, make_orders, 2)
    browser = merchant(shop)
    responses.post(f"{CARGUS}/LoginUser", json="tok")
    orders = responses.put(f"{CARGUS}/Orders", json=1)

    page = browser.get("/embedded/labels").get_data(as_text=True)
    assert "Zamów dzisiejszy odbiór" in page  # the shop's pl

    answer = browser.post("/embedded/labels/pickup")
    assert answer.status_code == 200 and "Zamówiono odbiór" in answer.get_data(as_text=True)
    assert len(responses.calls) == 0  # nothing leaves the web request

    run_jobs("labels")
    browser.post("/embedded/labels/pickup")  # a second click the same day
    run_jobs("labels")

    assert orders.call_count == 1
    page = browser.get("/embedded/labels").get_data(as_text=True)
    assert "Zamówiono odbiór przez kuriera na dziś (paczek: 2)" in page
    assert "Zamów dzisiejszy odbiór" not in page
    [row] = ShopScope(shop.id).all(AuditLog, AuditLog.action == "courier_pickup")
    assert row.subject == f"cargus:{shop_day(shop)}"


@responses.activate
def test_no_pickup_is_ordered_for_a_day_without_parcels(shop, make_orders):
    cargus_shop(shop, make_orders, 0)
    orders = responses.put(f"{CARGUS}/Orders", json=1)

    assert order_pickup(shop.id, shop_day(shop).isoformat()) == "nothing_to_collect"
    assert orders.call_count == 0


def test_own_labels_offer_no_pickup_button(merchant, labelled_shop):
    page = merchant(labelled_shop).get("/embedded/labels").get_data(as_text=True)
    assert 'id="waiting"' in page and 'id="pickup"' not in page


@responses.activate
def test_sameday_offers_no_pickup_order_and_a_queued_one_asks_nothing(merchant, shop, make_orders):
    # Sameday publishes no courier-order call (tests/fixtures/couriers/README.md): its courier
    # collects from the pickup point the AWB names, so there is nothing to order.
    settings = label_settings.LabelSettings(enabled=True, courier="sameday", sender=SENDER)
    credentials = {"username": "shop", "password": "secret", "pickup_point_id": 11}
    label_settings.save(shop.id, settings, credentials)
    [order_id] = make_orders(1)
    ShopScope(shop.id).add(
        Shipment(
            order_id=order_id,
            courier="sameday",
            status="created",
            idempotency_key="k0",
            tracking_number="1SDY1",
            request={},
        )
    )
    db.session.commit()

    page = merchant(shop).get("/embedded/labels").get_data(as_text=True)
    assert 'id="waiting"' in page and 'id="pickup"' not in page
    assert order_pickup(shop.id, shop_day(shop).isoformat()) == "not_offered"
    assert len(responses.calls) == 0
