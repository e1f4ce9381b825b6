from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
import responses
from pypdf import PdfReader

from app.connectors.couriers.inpost import PRODUCTION as INPOST
from app.connectors.couriers.sameday import PRODUCTION as SAMEDAY
from app.models import AuditLog, Order, Product, Shipment, Shop, ShopScope, Variant, db
from app.shipping import settings as label_settings
from app.shipping.listener import create_order_shipment, push_tracking
from tests.support.couriers import fixture_json
from tests.support.shipping import ADDRESS

SENDER = {
    "name": "Demo Boutique",
    "street": "Marszałkowska",
    "building_number": "10",
    "city": "Warszawa",
    "postal_code": "00-001",
    "country_code": "PL",
    "phone": "221234567",
}


def order_payload(order_id: int = 5001, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": order_id,
        "number": f"#{order_id}",
        "customer": {"id": 77, "email": "ola@example.com", "first_name": "Ola"},
        "items": [{"product_id": "1001", "variant_id": "v1", "quantity": 2, "price": "50.00"}],
        "total": "100.00",
        "currency": "PLN",
        "payment_method": "card",
        "paid": True,
        "shipping_address": {**ADDRESS, "phone": "600100200"},
        "created_at": "2026-11-20T10:00:00Z",
    }
    payload.update(overrides)
    return payload


@pytest.fixture()
def configure(shop: Shop) -> Callable[..., None]:
    def configure(credentials: dict[str, Any] | None = None, **values: Any) -> None:
        options: dict[str, Any] = {"enabled": True, "courier": "own", "sender": SENDER}
        options.update(values)
        label_settings.save(shop.id, label_settings.LabelSettings(**options), credentials)
        db.session.commit()

    return configure


@pytest.fixture()
def pay(post_demo_webhook, run_jobs) -> Callable[..., int]:
    """Pay an order through the real webhook pipeline and run every job it leads to."""

    def pay(order_id: int = 5001, delivery_id: str | None = None, **overrides: Any) -> int:
        response = post_demo_webhook(
            "order/paid",
            order_payload(order_id, **overrides),
            delivery_id=delivery_id or f"paid-{order_id}",
        )
        assert response.status_code == 200
        return run_jobs()

    return pay


@pytest.fixture()
def record_order(shop, post_demo_webhook, run_jobs) -> Callable[..., Order]:
    """Store a paid order as the shop sends it, without running the label job yet."""

    def record(**overrides: Any) -> Order:
        post_demo_webhook("order/paid", order_payload(**overrides), delivery_id="paid")
        run_jobs("events")
        order = ShopScope(shop.id).first(Order)
        assert order is not None
        return order

    return record


def shipments(shop: Shop) -> list[Shipment]:
    db.session.expire_all()
    return ShopScope(shop.id).all(Shipment)


def test_paying_an_order_creates_a_label_and_pushes_tracking_to_the_shop(shop, configure, pay):
    configure()
    pay()

    [shipment] = shipments(shop)
    assert shipment.status == "created"
    assert shipment.courier == "own"
    assert shipment.tracking_number and shipment.tracking_number.startswith("SF")
    assert (
        shipment.tracking_url == f"http://storeflow.test/track/{shop.id}/{shipment.tracking_number}"
    )
    pages = PdfReader(io.BytesIO(shipment.label or b"")).pages
    assert len(pages) == 1
    assert shipment.tracking_number in pages[0].extract_text()
    assert "Ola Nowak" in pages[0].extract_text()
    assert shipment.tracking_pushed_at is not None
    pushed = ShopScope(shop.id).all(AuditLog, AuditLog.action == "tracking_pushed")
    assert [p.details["tracking_number"] for p in pushed] == [shipment.tracking_number]


def test_a_tracking_push_for_a_disconnected_shop_stops_instead_of_retrying(shop, configure, pay):
    configure()
    pay()
    [shipment] = shipments(shop)
    shipment.tracking_pushed_at = None  # as if the push was still queued
    shop.status = "uninstalled"
    db.session.commit()

    assert push_tracking(shop.id, shipment.id) == "shop not active"
    assert ShopScope(shop.id).get(Shipment, shipment.id).tracking_pushed_at is None
    shop.status = "active"
    db.session.commit()
    assert push_tracking(shop.id, shipment.id) == "pushed"


def test_the_same_order_paid_twice_gets_one_shipment(shop, configure, pay):
    configure()
    pay(delivery_id="first")
    pay(delivery_id="second", updated_at="2026-11-20T11:00:00Z")

    assert len(shipments(shop)) == 1
    assert len(ShopScope(shop.id).all(AuditLog, AuditLog.action == "tracking_pushed")) == 1


def test_running_the_job_again_changes_nothing(shop, configure, pay):
    configure()
    pay()
    [before] = shipments(shop)
    order = ShopScope(shop.id).first(Order)

    assert create_order_shipment(shop.id, order.id) == "created"
    [after] = shipments(shop)
    assert (after.id, after.tracking_number) == (before.id, before.tracking_number)


def test_manual_mode_creates_nothing_when_an_order_is_paid(shop, configure, pay):
    configure(trigger="manual")
    pay()
    assert shipments(shop) == []


def test_disabled_labels_create_nothing(shop, configure, pay):
    configure(enabled=False)
    pay()
    assert shipments(shop) == []


def test_cod_amount_only_for_cash_on_delivery_orders(shop, configure, pay):
    configure()
    pay(5001, payment_method="cod", total="149.90")
    pay(5002, payment_method="card")

    by_order = {s.request["order_reference"]: s for s in shipments(shop)}
    assert by_order["#5001"].request["cod_amount"] == "149.90"
    assert (
        "COD 149.90 PLN" in PdfReader(io.BytesIO(by_order["#5001"].label)).pages[0].extract_text()
    )
    assert by_order["#5002"].request["cod_amount"] is None
    assert "COD" not in PdfReader(io.BytesIO(by_order["#5002"].label)).pages[0].extract_text()


def test_product_weights_are_used_when_every_item_has_one(shop, configure, pay):
    configure(parcel={"weight_kg": "1.5"})
    scope = ShopScope(shop.id)
    product = scope.add(Product(platform_product_id="1001", title="Linen shirt"))
    db.session.flush()
    scope.add(Variant(platform_variant_id="v1", product_id=product.id, weight_grams=350))
    db.session.commit()
    pay(5001)
    pay(5002, items=[{"product_id": "9", "variant_id": "unknown", "quantity": 1}])

    weights = {
        s.request["order_reference"]: s.request["parcels"][0]["weight_kg"] for s in shipments(shop)
    }
    assert weights == {"#5001": "0.700", "#5002": "1.5"}


def test_incomplete_address_is_recorded_with_what_is_missing(shop, configure, pay):
    configure()
    pay(shipping_address={"first_name": "Ola", "city": "Kraków"})

    [shipment] = shipments(shop)
    assert shipment.status == "failed"
    assert shipment.error == "shipping address incomplete: street, postal_code missing"
    assert shipment.label is None


INPOST_CREDENTIALS = {"token": "t0k3n", "organization_id": "1234"}


@responses.activate
def test_inpost_refusal_is_kept_with_the_couriers_message(shop, configure, pay):
    configure(courier="inpost", service="inpost_locker_standard", credentials=INPOST_CREDENTIALS)
    responses.post(
        f"{INPOST}/v1/organizations/1234/shipments",
        json=fixture_json("inpost/validation_error_response.json"),
        status=400,
    )
    pay(shipping_address={**order_payload()["shipping_address"], "pickup_point": "XXX000"})

    [shipment] = shipments(shop)
    assert shipment.status == "failed"
    assert "target_point" in (shipment.error or "")
    assert shipment.tracking_pushed_at is None


@responses.activate
def test_timeout_after_inpost_created_the_shipment_does_not_create_a_second_one(
    shop, configure, record_order
):
    configure(courier="inpost", service="inpost_courier_standard", credentials=INPOST_CREDENTIALS)
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
        "reference": "#5001#1",  # our shipment row's reference
    }
    create = responses.post(
        f"{INPOST}/v1/organizations/1234/shipments", body=requests.ReadTimeout("lost answer")
    )
    search = responses.get(
        f"{INPOST}/v1/organizations/1234/shipments", json={"count": 1, "items": [confirmed]}
    )
    responses.get(f"{INPOST}/v1/shipments/49/label", body=b"%PDF-1.4 inpost label")
    order = record_order()

    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    [lost] = shipments(shop)
    assert lost.status == "unknown"

    assert create_order_shipment(shop.id, order.id) == "created"  # RQ's retry
    [shipment] = shipments(shop)
    assert create.call_count == 1
    assert "reference=%235001%23" in search.calls[0].request.url
    assert shipment.carrier_shipment_id == "49"
    assert shipment.tracking_number == "602677439331630337653846"
    assert shipment.label == b"%PDF-1.4 inpost label"


@responses.activate
def test_sameday_timeout_holds_the_shipment_for_a_person_instead_of_sending_again(
    shop, configure, record_order
):
    configure(
        courier="sameday",
        credentials={"username": "u", "password": "p", "pickup_point_id": 11, "service_id": 7},
    )
    responses.post(f"{SAMEDAY}/api/authenticate", json={"token": "tok", "expire_at": "x"})
    awb = responses.post(f"{SAMEDAY}/api/awb", body=requests.ReadTimeout("lost answer"))
    address = {**order_payload()["shipping_address"], "province": "Cluj", "country_code": "RO"}
    order = record_order(shipping_address=address)

    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    assert create_order_shipment(shop.id, order.id) == "needs_check"
    assert create_order_shipment(shop.id, order.id) == "needs_check"

    [shipment] = shipments(shop)
    assert awb.call_count == 1
    assert "check there for #5001#" in (shipment.error or "")


def test_courier_credentials_are_stored_encrypted(shop, configure):
    configure(courier="inpost", credentials=INPOST_CREDENTIALS)
    db.session.expire_all()
    stored = db.session.get(Shop, shop.id)
    assert b"t0k3n" not in (stored.credentials_encrypted or b"")
    assert label_settings.courier_credentials(stored, "inpost") == INPOST_CREDENTIALS
    assert "t0k3n" not in str(label_settings.load(shop.id).as_values())


def test_bad_settings_are_refused_with_their_names(shop):
    with pytest.raises(label_settings.SettingsError, match="courier, trigger"):
        label_settings.save(
            shop.id, label_settings.LabelSettings(courier="dhl", trigger="sometimes")
        )


def test_created_trigger_makes_the_shipment_when_the_order_is_placed(
    shop, configure, post_demo_webhook, run_jobs
):
    configure(trigger="created")
    post_demo_webhook("order/created", order_payload(paid=False), delivery_id="created")
    run_jobs()
    assert [s.status for s in shipments(shop)] == ["created"]


def test_a_cash_on_delivery_order_gets_its_label_when_placed_though_the_trigger_is_paid(
    shop, configure, post_demo_webhook, run_jobs
):
    configure(trigger="paid")
    card = order_payload(5001, paid=False)
    cod = order_payload(5002, paid=False, payment_method="cod")
    post_demo_webhook("order/created", card, delivery_id="card")
    post_demo_webhook("order/created", cod, delivery_id="cod")
    run_jobs()
    # The COD order is paid when the parcel arrives: its label cannot wait for that. The card
    # order waits for its payment.
    (shipment,) = shipments(shop)
    order = ShopScope(shop.id).get(Order, shipment.order_id)
    assert (order.platform_order_id, order.paid_at) == ("5002", None)
    assert shipment.request["cod_amount"] == "100.00"
    post_demo_webhook("order/paid", order_payload(5001), delivery_id="card-paid")
    run_jobs()
    assert len(shipments(shop)) == 2


@responses.activate
def test_inpost_label_not_ready_at_creation_is_fetched_when_downloaded(shop, configure, pay):
    from app.shipping.shipments import ensure_label

    configure(courier="inpost", service="inpost_courier_standard", credentials=INPOST_CREDENTIALS)
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
    }
    responses.post(f"{INPOST}/v1/organizations/1234/shipments", json=confirmed, status=201)
    label_url = f"{INPOST}/v1/shipments/49/label"
    responses.get(label_url, json={"status": 404, "error": "not_found"}, status=404)
    responses.get(label_url, body=b"%PDF-1.4 later")
    pay()

    [shipment] = shipments(shop)
    assert (shipment.status, shipment.label) == ("created", None)
    assert ensure_label(shop, shipment) == b"%PDF-1.4 later"
    assert shipments(shop)[0].label == b"%PDF-1.4 later"


@responses.activate
def test_a_shipment_being_requested_right_now_is_not_requested_again(shop, configure, record_order):
    from datetime import timedelta

    from app.models import utcnow

    configure(courier="inpost", service="inpost_courier_standard", credentials=INPOST_CREDENTIALS)
    create = responses.post(
        f"{INPOST}/v1/organizations/1234/shipments", body=requests.ReadTimeout("lost")
    )
    order = record_order()
    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    [shipment] = shipments(shop)
    # As if another worker had just claimed it and were waiting for InPost's answer.
    shipment.status = "requested"
    db.session.commit()

    assert create_order_shipment(shop.id, order.id) == "requested"
    assert create.call_count == 1
    assert len(responses.calls) == 1

    # A claim older than any courier call is a crashed worker: look it up, then carry on.
    shipment.status, shipment.updated_at = "requested", utcnow() - timedelta(minutes=10)
    db.session.commit()
    search = responses.get(f"{INPOST}/v1/organizations/1234/shipments", json={"items": []})
    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    assert search.call_count == 1
    assert create.call_count == 2


def test_cancelling_the_order_cancels_its_own_label(
    shop, configure, pay, post_demo_webhook, run_jobs
):
    configure()
    pay()
    post_demo_webhook(
        "order/cancelled", order_payload(updated_at="2026-11-20T12:00:00Z"), delivery_id="cancel"
    )
    run_jobs()
    assert [s.status for s in shipments(shop)] == ["cancelled"]


@responses.activate
def test_cancelled_order_cancels_the_inpost_shipment_or_keeps_inposts_refusal(
    shop, configure, pay, post_demo_webhook, run_jobs
):
    configure(courier="inpost", service="inpost_courier_standard", credentials=INPOST_CREDENTIALS)
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
    }
    responses.post(f"{INPOST}/v1/organizations/1234/shipments", json=confirmed, status=201)
    responses.get(f"{INPOST}/v1/shipments/49/label", body=b"%PDF-1.4")
    refusal = {"status": 400, "error": "invalid_action", "message": "Shipment already dispatched"}
    delete = responses.delete(f"{INPOST}/v1/shipments/49", json=refusal, status=400)
    pay()

    post_demo_webhook(
        "order/cancelled", order_payload(updated_at="2026-11-20T12:00:00Z"), delivery_id="cancel"
    )
    run_jobs()

    [shipment] = shipments(shop)
    assert delete.call_count == 1
    assert shipment.status == "created"
    assert shipment.error == "not cancelled at inpost: Shipment already dispatched"


def test_a_label_job_for_an_order_cancelled_meanwhile_creates_nothing(
    shop, configure, record_order
):
    configure(trigger="manual")
    order = record_order()
    order.cancelled = True
    db.session.commit()

    assert create_order_shipment(shop.id, order.id) == "order cancelled"
    assert shipments(shop) == []


@responses.activate
def test_a_shipment_in_doubt_is_looked_up_at_the_courier_that_was_asked(
    shop, configure, record_order
):
    configure(courier="inpost", service="inpost_courier_standard", credentials=INPOST_CREDENTIALS)
    responses.post(f"{INPOST}/v1/organizations/1234/shipments", body=requests.ReadTimeout("lost"))
    order = record_order()
    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    configure(courier="own")  # the merchant switches courier while InPost's answer is unknown
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
        "reference": "#5001#1",
    }
    responses.get(f"{INPOST}/v1/organizations/1234/shipments", json={"items": [confirmed]})
    responses.get(f"{INPOST}/v1/shipments/49/label", body=b"%PDF-1.4 inpost")

    assert create_order_shipment(shop.id, order.id) == "created"
    [shipment] = shipments(shop)
    assert (shipment.courier, shipment.tracking_number) == ("inpost", "602677439331630337653846")
