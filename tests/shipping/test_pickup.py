"""Courier pickup from the label page: the page only queues, the job asks the courier once."""

from __future__ import annotations

import responses

from app.connectors.couriers.cargus import API as CARGUS
from app.models import AuditLog, Shipment, ShopScope, db
from app.shipping import links
from app.shipping import settings as label_settings
from app.shipping.pickup import order_pickup, shop_day
from tests.shipping.test_listener import SENDER

CREDENTIALS = {
    "subscription_key": "sub",
    "username": "u",
    "password": "p",
    "pickup_location_id": 201165677,
}


def cargus_shop(shop, make_orders, parcels: int) -> str:
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
    return links.sign("shop", {"shop": shop.id})


@responses.activate
def test_merchant_orders_a_pickup_and_the_courier_is_asked_once_by_a_job(
    client, shop, make_orders, run_jobs
):
    token = cargus_shop(shop, make_orders, 2)
    responses.post(f"{CARGUS}/LoginUser", json="tok")
    orders = responses.put(f"{CARGUS}/Orders", json=1)

    page = client.get(f"/labels/shop/{token}").get_data(as_text=True)
    assert "Zamów odbiór dzisiejszych paczek przez kuriera" in page  # the shop's pl

    answer = client.post(f"/labels/shop/{token}/pickup")
    assert answer.status_code == 303
    assert len(responses.calls) == 0  # nothing leaves the web request

    run_jobs("labels")
    client.post(f"/labels/shop/{token}/pickup")  # a second click the same day
    run_jobs("labels")

    assert orders.call_count == 1
    page = client.get(f"/labels/shop/{token}").get_data(as_text=True)
    assert "Zamówiono odbiór przez kuriera na dziś (paczek: 2)" in page
    [row] = ShopScope(shop.id).all(AuditLog, AuditLog.action == "courier_pickup")
    assert row.subject == f"cargus:{shop_day(shop)}"


@responses.activate
def test_no_pickup_is_ordered_for_a_day_without_parcels(shop, make_orders):
    cargus_shop(shop, make_orders, 0)
    orders = responses.put(f"{CARGUS}/Orders", json=1)

    assert order_pickup(shop.id, shop_day(shop).isoformat()) == "nothing_to_collect"
    assert orders.call_count == 0


def test_own_labels_offer_no_pickup_button(client, labelled_shop):
    token = links.sign("shop", {"shop": labelled_shop.id})
    page = client.get(f"/labels/shop/{token}").get_data(as_text=True)
    assert 'id="pickup"' not in page
