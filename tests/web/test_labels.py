"""The customer's public tracking page (the merchant's labels: web/embedded/test_labels_tab.py)."""

from __future__ import annotations

from app.models import Shipment, ShopScope
from app.shipping.bulk import bulk_print


def test_public_tracking_page_shows_status_without_personal_data(
    client, labelled_shop, make_orders
):
    bulk_print(labelled_shop.id, make_orders(1))
    [shipment] = ShopScope(labelled_shop.id).all(Shipment)

    page = client.get(f"/track/{labelled_shop.id}/{shipment.tracking_number}")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert shipment.tracking_number in text and "Etykieta utworzona" in text  # the shop's pl
    assert "Nowak" not in text and "Długa" not in text


def test_tracking_page_refuses_mistyped_and_other_shops_numbers(
    client, labelled_shop, make_orders, make_shop
):
    bulk_print(labelled_shop.id, make_orders(1))
    [shipment] = ShopScope(labelled_shop.id).all(Shipment)
    other = make_shop(n=2)
    number = shipment.tracking_number

    assert client.get(f"/track/{labelled_shop.id}/{number[:-1]}0").status_code == 404
    assert client.get(f"/track/{other.id}/{number}").status_code == 404
