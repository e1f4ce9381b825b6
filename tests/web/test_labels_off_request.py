"""No courier call inside a web request: the Labels tab's bulk print and label downloads leave
it to jobs (the merchant page, with its token)."""

from __future__ import annotations

import base64
import io

import responses
from pypdf import PdfReader, PdfWriter

from app.connectors.couriers.cargus import API as CARGUS
from app.models import LabelBatch, Shipment, ShopScope, db
from app.shipping import settings as label_settings
from tests.shipping.test_listener import SENDER
from tests.support.couriers import fixture_json

CREDENTIALS = {
    "subscription_key": "sub",
    "username": "u",
    "password": "p",
    "pickup_location_id": 201165677,
}
PITESTI = {
    "name": "Ion Popescu",
    "address1": "Street Name 5",
    "city": "Pitesti",
    "province": "Arges",
    "zip": "110001",
    "country_code": "RO",
}


def one_page_pdf() -> str:
    writer = PdfWriter()
    writer.add_blank_page(width=298, height=420)
    out = io.BytesIO()
    writer.write(out)
    return base64.b64encode(out.getvalue()).decode()


def cargus(shop) -> None:
    settings = label_settings.LabelSettings(
        enabled=True, courier="cargus", trigger="manual", sender=SENDER
    )
    label_settings.save(shop.id, settings, CREDENTIALS)
    db.session.commit()
    responses.post(f"{CARGUS}/LoginUser", json="tok")
    responses.get(f"{CARGUS}/Counties", json=fixture_json("cargus/counties_response.json"))
    responses.get(f"{CARGUS}/Localities", json=fixture_json("cargus/localities_response.json"))


@responses.activate
def test_bulk_print_of_courier_labels_makes_no_outbound_call_in_the_request(
    merchant, shop, make_orders, run_jobs
):
    cargus(shop)
    responses.post(f"{CARGUS}/Awbs", json=1041234567)
    responses.get(f"{CARGUS}/AwbDocuments", json=one_page_pdf())
    make_orders(3, shipping_address=PITESTI)

    browser = merchant(shop)
    asked = browser.post("/embedded/labels/bulk", data={"layout": "a6"})
    [batch] = ShopScope(shop.id).all(LabelBatch)
    status = browser.get(f"/embedded/labels/batches/{batch.id}/status")

    assert asked.status_code == 200 and status.status_code == 200
    assert len(responses.calls) == 0

    run_jobs("labels")

    assert len(responses.calls) > 0
    db.session.refresh(batch)
    assert batch.status == "ready" and batch.failures == {}
    assert len(PdfReader(io.BytesIO(batch.content or b"")).pages) == 3


@responses.activate
def test_a_label_the_courier_had_not_issued_is_fetched_by_a_job_not_the_request(
    merchant, shop, make_orders, run_jobs
):
    cargus(shop)
    browser = merchant(shop)
    [order_id] = make_orders(1, shipping_address=PITESTI)
    shipment = ShopScope(shop.id).add(
        Shipment(
            order_id=order_id,
            courier="cargus",
            status="created",
            idempotency_key="k",
            carrier_shipment_id="1041234567",
            tracking_number="1041234567",
            request={},
        )
    )
    db.session.commit()
    label = responses.get(f"{CARGUS}/AwbDocuments", json=one_page_pdf())
    url = f"/embedded/labels/shipments/{shipment.id}/file"

    first = browser.get(url)

    assert first.status_code == 409
    assert "Kurier nie wystawił jeszcze tej etykiety" in first.get_data(as_text=True)
    assert len(responses.calls) == 0
    run_jobs("labels")
    assert label.call_count == 1
    second = browser.get(url)
    assert second.status_code == 200 and second.data.startswith(b"%PDF")
