"""The demo boutique's paid orders: from its demo page's button and from the command, both
through a signed delivery the worker turns into a label and a shipping email. The labels
themselves are printed in the merchant page's Labels tab."""

from __future__ import annotations

from app.demo.seed import seed
from app.models import Shipment, ShopScope
from app.shipping import links


def _token(shop) -> str:
    return links.sign("shop", {"shop": shop.id})


def test_demo_label_page_pays_a_demo_order_that_gets_a_label(client, run_jobs, app, outbox):
    shop = seed()
    token = _token(shop)
    page = client.get(f"/demo/labels/{token}").get_data(as_text=True)
    assert "Pay a demo order" in page and "Nie ma jeszcze przesyłek." in page

    answer = client.post(f"/demo/labels/{token}/paid-order", data={"cod": "1"})
    assert run_jobs() > 0

    assert answer.status_code == 303
    [shipment] = ShopScope(shop.id).all(Shipment)
    assert shipment.status == "created" and shipment.request["cod_amount"] == "189.00"
    page = client.get(f"/demo/labels/{token}").get_data(as_text=True)
    assert shipment.tracking_number in page
    assert f'href="/embedded/dev-login/{shop.id}"' in page  # labels are printed there


def test_the_signed_merchant_label_page_is_gone(client):
    shop = seed()
    assert client.get(f"/labels/shop/{_token(shop)}").status_code == 404


def test_only_the_demo_shop_can_pay_demo_orders(client, labelled_shop):
    assert client.get(f"/demo/labels/{_token(labelled_shop)}").status_code == 404
    answer = client.post(f"/demo/labels/{_token(labelled_shop)}/paid-order")
    assert answer.status_code == 404
    assert ShopScope(labelled_shop.id).all(Shipment) == []


def test_demo_paying_an_order_gives_a_label_and_a_shipping_email(
    app, demo_cli, running_service, outbox
):
    shop = seed()

    paid = demo_cli("demo-pay-order", "--number", "1001")

    assert "order/paid 1001 -> HTTP 200" in paid
    assert "labels: http://storeflow.test/demo/labels/" in paid
    assert running_service.called[-1] == "http://storeflow.test/webhooks/demo"
    [shipment] = ShopScope(shop.id).all(Shipment)
    assert shipment.status == "created" and shipment.tracking_number.startswith("DB")
    [email] = list(outbox.glob("*.eml"))
    assert shipment.tracking_number in email.read_text()
