from __future__ import annotations

import io
import json

from pypdf import PdfReader

from app.models import Shipment, ShopScope
from app.shipping import links
from app.shipping.bulk import bulk_print


def shop_token(shop) -> str:
    return links.sign("shop", {"shop": shop.id})


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


def test_label_downloads_as_pdf_from_the_shop_page(client, labelled_shop, make_orders):
    bulk_print(labelled_shop.id, make_orders(1))
    [shipment] = ShopScope(labelled_shop.id).all(Shipment)
    token = shop_token(labelled_shop)

    page = client.get(f"/labels/shop/{token}")
    link = f"/labels/shop/{token}/shipments/{shipment.id}"
    assert link in page.get_data(as_text=True)

    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert shipment.tracking_number in PdfReader(io.BytesIO(download.data)).pages[0].extract_text()


def test_forged_or_other_shops_links_get_nothing(client, labelled_shop, make_orders, make_shop):
    bulk_print(labelled_shop.id, make_orders(1))
    [shipment] = ShopScope(labelled_shop.id).all(Shipment)
    other_token = shop_token(make_shop(n=2))

    assert client.get(f"/labels/shop/{shop_token(labelled_shop)}x").status_code == 404
    assert client.get(f"/labels/shop/{other_token}/shipments/{shipment.id}").status_code == 404


def test_bulk_print_is_queued_and_its_file_is_made_by_the_jobs(
    client, labelled_shop, make_orders, run_jobs
):
    make_orders(3)
    make_orders(1, shipping_address={})
    token = shop_token(labelled_shop)

    asked = client.post(f"/labels/shop/{token}/bulk", data={"layout": "a4x4", "offset": "1"})

    assert asked.status_code == 303
    assert ShopScope(labelled_shop.id).all(Shipment) == []  # nothing made inside the request
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "gotowe 0 z 4 zamówień" in page  # the shop's pl, still working
    assert client.get(f"{asked.headers['Location']}/file").status_code == 409

    run_jobs("labels")

    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Gotowe: etykiet 3." in page and "#7003" in page
    response = client.get(f"{asked.headers['Location']}/file")
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1  # 3 labels from slot 2 of 4
    assert json.loads(response.headers["X-Label-Failures"]) == {
        "#7003": "failed: shipping address incomplete: name, street, city, postal_code missing"
    }


def test_bulk_print_with_a_bad_offset_says_why(client, labelled_shop, make_orders):
    make_orders(1)
    token = shop_token(labelled_shop)
    response = client.post(f"/labels/shop/{token}/bulk", data={"layout": "a4x4", "offset": "7"})
    assert response.status_code == 400
    assert "offset" in response.get_data(as_text=True)


def test_the_printed_shop_link_opens_the_label_page(client, labelled_shop):
    url = links.shop_page_url(labelled_shop.id)
    assert url.startswith("http://storeflow.test/labels/shop/")
    page = client.get(url.removeprefix("http://storeflow.test"))
    assert page.status_code == 200
    assert "Nie ma jeszcze przesyłek." in page.get_data(as_text=True)  # the shop's pl
