"""The merchant page's Labels tab: orders waiting for a label, bulk print queued on the
``labels`` queue (no courier call inside the request), progress polled with the page's token,
the file downloaded only with that token, and nothing of another shop.

The Cargus answers are the documented ones (see tests/web/test_labels_off_request.py and
tests/fixtures/cargus/README.md).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import responses
from pypdf import PdfReader

from app.connectors.couriers.cargus import API as CARGUS
from app.models import LabelBatch, Shipment, ShopScope
from app.pipeline import queues
from app.shipping.bulk import bulk_print
from tests.web.test_labels_off_request import PITESTI, cargus, one_page_pdf


def test_labels_tab_lists_the_orders_waiting_for_a_label_in_the_shops_language(
    merchant, labelled_shop, make_orders
):
    bulk_print(labelled_shop.id, make_orders(1))  # #7000 has its label already
    make_orders(2)

    page = merchant(labelled_shop).get("/embedded/labels")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Zamówienia czekające na etykietę" in text and 'aria-current="page">Etykiety' in text
    waiting = text.split('class="widefat striped sf-waiting"')[1].split("</table>")[0]
    assert "#7001" in waiting and "#7002" in waiting and "#7000" not in waiting
    assert "Drukuj 2 etykiety" in text
    shipments = text.split('class="widefat striped sf-shipments"')[1]
    assert "#7000" in shipments and "data-download" in shipments


def test_labels_tab_needs_the_pages_token(client, labelled_shop):
    assert client.get("/embedded/labels").status_code == 401
    assert client.post("/embedded/labels/bulk", data={"layout": "a6"}).status_code == 401


@responses.activate
def test_bulk_print_only_queues_jobs_and_the_page_polls_until_the_pdf_is_ready(
    merchant, shop, make_orders, run_jobs
):
    cargus(shop)
    responses.post(f"{CARGUS}/Awbs", json=1041234567)
    responses.get(f"{CARGUS}/AwbDocuments", json=one_page_pdf())
    make_orders(3, shipping_address=PITESTI)
    browser = merchant(shop)

    asked = browser.post("/embedded/labels/bulk", data={"layout": "a6", "format": "pdf"})

    assert asked.status_code == 200
    assert len(responses.calls) == 0  # no courier inside the request
    assert "Drukowanie 3 etykiet" in asked.get_data(as_text=True)
    [batch] = ShopScope(shop.id).all(LabelBatch)
    assert f'data-batch-status="/embedded/labels/batches/{batch.id}/status"' in asked.get_data(
        as_text=True
    )
    assert queues.queue("labels").count == 4  # three shipments and the assembly
    status = browser.get(f"/embedded/labels/batches/{batch.id}/status").get_json()
    assert status == {"status": "working", "done": 0, "total": 3}
    assert browser.get(f"/embedded/labels/batches/{batch.id}/file").status_code == 409

    run_jobs("labels")

    assert len(responses.calls) > 0
    assert browser.get(f"/embedded/labels/batches/{batch.id}/status").get_json() == {
        "status": "ready",
        "done": 3,
        "total": 3,
    }
    page = browser.get(f"/embedded/labels/batches/{batch.id}").get_data(as_text=True)
    assert f'href="/embedded/labels/batches/{batch.id}/file" data-download' in page
    download = browser.get(f"/embedded/labels/batches/{batch.id}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(download.data)).pages) == 3


def test_a_bad_layout_is_refused_with_the_reason_and_nothing_queued(
    merchant, labelled_shop, make_orders
):
    make_orders(1)
    answer = merchant(labelled_shop).post(
        "/embedded/labels/bulk", data={"layout": "a4x4", "offset": "7"}
    )
    assert answer.status_code == 400
    assert "Nie wydrukowano" in answer.get_data(as_text=True)
    assert ShopScope(labelled_shop.id).all(LabelBatch) == []
    assert queues.queue("labels").count == 0


def test_downloads_need_the_token_and_stay_in_their_shop(
    app, merchant, labelled_shop, make_orders, make_shop, run_jobs
):
    make_orders(2)
    browser = merchant(labelled_shop)
    browser.post("/embedded/labels/bulk", data={"layout": "a6"})
    run_jobs("labels")
    [batch] = ShopScope(labelled_shop.id).all(LabelBatch)
    shipment = ShopScope(labelled_shop.id).all(Shipment)[0]
    anonymous = app.test_client(use_cookies=False)
    other = merchant(make_shop(n=2))
    batch_file = f"/embedded/labels/batches/{batch.id}/file"
    label_file = f"/embedded/labels/shipments/{shipment.id}/file"

    assert browser.get(batch_file).data.startswith(b"%PDF")
    label = browser.get(label_file)
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    assert shipment.tracking_number in PdfReader(io.BytesIO(label.data)).pages[0].extract_text()
    for url in (batch_file, label_file, f"/embedded/labels/batches/{batch.id}/status"):
        assert anonymous.get(url).status_code == 401
        assert other.get(url).status_code == 404
    assert "#7000" not in other.get("/embedded/labels").get_data(as_text=True)


def test_bulk_print_from_the_second_a4_place_lists_the_orders_that_got_no_label(
    merchant, labelled_shop, make_orders, run_jobs
):
    make_orders(3)
    make_orders(1, shipping_address={})
    browser = merchant(labelled_shop)

    asked = browser.post("/embedded/labels/bulk", data={"layout": "a4x4", "offset": "1"})

    assert asked.status_code == 200
    assert ShopScope(labelled_shop.id).all(Shipment) == []  # nothing made inside the request
    assert "gotowe 0 z 4 zamówień" in asked.get_data(as_text=True)  # the shop's pl
    run_jobs("labels")
    [batch] = ShopScope(labelled_shop.id).all(LabelBatch)
    page = browser.get(f"/embedded/labels/batches/{batch.id}").get_data(as_text=True)
    assert "Wydrukowano 3 etykiety." in page and "#7003" in page
    response = browser.get(f"/embedded/labels/batches/{batch.id}/file")
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1  # 3 labels from slot 2 of 4
    assert json.loads(response.headers["X-Label-Failures"]) == {
        "#7003": "failed: shipping address incomplete: name, street, city, postal_code missing"
    }


def test_orders_already_sent_or_cancelled_are_not_waiting_for_a_label(
    merchant, labelled_shop, make_orders
):
    make_orders(1)
    make_orders(1, fulfilled_at=datetime(2026, 11, 2, tzinfo=UTC))
    make_orders(1, cancelled=True)
    make_orders(1, paid_at=None)

    page = merchant(labelled_shop).get("/embedded/labels").get_data(as_text=True)

    waiting = page.split('class="widefat striped sf-waiting"')[1].split("</table>")[0]
    assert "#7000" in waiting
    assert not any(f"#700{n}" in waiting for n in (1, 2, 3))
    assert "Drukuj 1 etykietę" in page
