"""Shipments followed to the door, and the Romanian couriers through the whole label pipeline:
real PostgreSQL and Redis, couriers faked over HTTP with their documented bodies."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from app.connectors.couriers.base import TrackingEvent, TrackingStatus
from app.connectors.couriers.cargus import API as CARGUS
from app.connectors.couriers.fancourier import API as FAN
from app.connectors.couriers.fancourier.mapping import parse_tracking
from app.flows import cross_sell
from app.flows.engine.settings import save_settings
from app.models import FlowRun, Order, Shipment, ShipmentEvent, Shop, ShopScope, db, utcnow
from app.models.shop_settings import LegalAddress
from app.shipping import settings as label_settings
from app.shipping import tracking
from app.shipping.listener import create_order_shipment
from tests.conftest import SHOP_ADDRESS
from tests.shipping.test_listener import SENDER, order_payload, shipments
from tests.support.couriers import fixture_json

CARGUS_CREDENTIALS = {
    "subscription_key": "sub",
    "username": "u",
    "password": "p",
    "pickup_location_id": 201165677,
}
FAN_CREDENTIALS = {"client_id": 7032158, "username": "clienttest", "password": "testing"}
PITESTI = {
    "first_name": "Ion",
    "last_name": "Popescu",
    "address1": "Street Name 5",
    "city": "Pitesti",
    "province": "Arges",
    "zip": "110001",
    "country_code": "RO",
    "phone": "072769821",
}
FETESTI = {**PITESTI, "city": "Fetesti", "province": "Ialomita", "zip": "925100"}
CUSTOMER = {
    "id": 77,
    "email": "ion@example.com",
    "first_name": "Ion",
    "locale": "ro",
    "accepts_marketing": True,
}


@pytest.fixture()
def configure(shop):
    def configure(credentials: dict[str, Any], **values: Any) -> None:
        settings = label_settings.LabelSettings(enabled=True, sender=SENDER, **values)
        label_settings.save(shop.id, settings, credentials)
        db.session.commit()

    return configure


@pytest.fixture()
def record_order(shop, post_demo_webhook, run_jobs):
    def record(address: dict[str, Any]) -> Order:
        payload = order_payload(shipping_address=address, customer=CUSTOMER, currency="RON")
        post_demo_webhook("order/paid", payload, delivery_id="paid")
        run_jobs("events")
        order = ShopScope(shop.id).first(Order)
        assert order is not None
        return order

    return record


def cargus_geography_and_awb() -> None:
    responses.post(f"{CARGUS}/LoginUser", json="tok")
    responses.get(f"{CARGUS}/Counties", json=fixture_json("cargus/counties_response.json"))
    responses.get(f"{CARGUS}/Localities", json=fixture_json("cargus/localities_response.json"))
    responses.post(f"{CARGUS}/Awbs", json=1041234567)
    responses.get(f"{CARGUS}/AwbDocuments", json=base64.b64encode(b"%PDF-1.4 c").decode())


def fan_login_and_localities() -> None:
    responses.post(f"{FAN}/login", json=fixture_json("fancourier/login_response.json"))
    responses.get(
        f"{FAN}/reports/localities", json=fixture_json("fancourier/localities_response.json")
    )


SHIPPED = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "now", "wait"),
    [
        ("out_for_delivery", SHIPPED + timedelta(days=1), timedelta(minutes=45)),
        ("in_transit", SHIPPED + timedelta(days=1), timedelta(hours=3)),
        ("in_transit", SHIPPED + timedelta(days=8), timedelta(days=1)),
    ],
)
def test_checks_come_closer_on_the_delivery_day_and_back_off_for_old_parcels(status, now, wait):
    assert tracking.next_check(status, SHIPPED, now) == now + wait


@pytest.mark.parametrize("status", ["delivered", "returned", "cancelled"])
def test_a_final_status_stops_the_checks(status):
    assert tracking.next_check(status, SHIPPED, SHIPPED + timedelta(days=1)) is None
    assert tracking.next_check("in_transit", SHIPPED, SHIPPED + timedelta(days=46)) is None


@responses.activate
def test_cargus_parcel_is_followed_to_delivered_and_starts_the_cross_sell_clock(
    shop, configure, record_order, run_jobs
):
    configure(courier="cargus", credentials=CARGUS_CREDENTIALS)
    shop.legal_address = LegalAddress(SHOP_ADDRESS)  # marketing may be switched on
    save_settings(
        shop.id, cross_sell.FLOW, {"starts_after": "delivered", "holdout_percent": 0}, enabled=True
    )
    db.session.commit()
    cargus_geography_and_awb()
    trace = responses.get(f"{CARGUS}/AwbTrace", json=fixture_json("cargus/awb_trace_response.json"))
    order = record_order(PITESTI)
    assert ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == "cross_sell") == []  # not on paid

    assert create_order_shipment(shop.id, order.id) == "created"
    [shipment] = shipments(shop)
    assert (shipment.tracking_number, shipment.tracking_status) == ("1041234567", "created")
    assert shipment.next_track_at is not None and shipment.next_track_at > utcnow()

    later = utcnow() + timedelta(hours=3)
    assert tracking.plan_tracking(later) == {"cargus": 1}
    run_jobs("labels")

    [shipment] = shipments(shop)
    assert shipment.tracking_status == "delivered"
    assert shipment.next_track_at is None and shipment.delivered_at is not None
    events = ShopScope(shop.id).all(ShipmentEvent, ShipmentEvent.shipment_id == shipment.id)
    assert sorted(e.status for e in events) == sorted(
        ["picked_up", "in_transit", "out_for_delivery", "delivered"]
    )
    [run] = ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == "cross_sell")
    assert run.subject_key == f"order:{order.id}"
    assert run.next_step_at - shipment.delivered_at == timedelta(days=7)

    assert tracking.plan_tracking(later + timedelta(days=1)) == {}  # final: never asked again
    assert trace.call_count == 1


@responses.activate
def test_paid_order_still_starts_cross_sell_when_counting_from_the_order(
    shop, configure, record_order
):
    shop.legal_address = LegalAddress(SHOP_ADDRESS)  # marketing may be switched on
    save_settings(shop.id, cross_sell.FLOW, {"holdout_percent": 0}, enabled=True)
    db.session.commit()
    record_order(PITESTI)
    assert len(ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == "cross_sell")) == 1


def test_the_same_scans_twice_are_stored_once(shop, labelled_shipment):
    answer = TrackingStatus(
        "in_transit",
        "H4 Sosire in depozit",
        "2026-11-21 08:00:00",
        history=(
            TrackingEvent("picked_up", "C0 Expeditie ridicata", "2026-11-20 18:00:00"),
            TrackingEvent("in_transit", "H4 Sosire in depozit", "2026-11-21 08:00:00"),
        ),
    )
    now = utcnow()
    tracking.record(labelled_shipment, answer, now)
    tracking.record(labelled_shipment, answer, now + timedelta(hours=3))

    events = tracking.history(shop.id, labelled_shipment.id)
    assert [e.courier_status for e in events] == ["C0 Expeditie ridicata", "H4 Sosire in depozit"]
    assert labelled_shipment.next_track_at == now + timedelta(hours=6)


def test_planning_keeps_to_each_couriers_pace(shop, labelled_shipment, monkeypatch):
    order = ShopScope(shop.id).get(Order, labelled_shipment.order_id)
    assert order is not None
    past = utcnow() - timedelta(minutes=1)
    for index in range(1, 8):
        ShopScope(shop.id).add(
            Shipment(
                order_id=order.id,
                parcel_index=index,
                courier="cargus",
                status="created",
                idempotency_key=f"k{index}",
                tracking_number=f"10{index}",
                next_track_at=past,
                request={},
            )
        )
    labelled_shipment.next_track_at = past
    db.session.commit()
    monkeypatch.setitem(tracking.COURIER_PACE, "cargus", 1)  # 5 per 5-minute plan

    assert tracking.plan_tracking() == {"cargus": 5, "fan_courier": 1}
    assert tracking.plan_tracking() == {"cargus": 2}  # the rest; the planned are leased


@pytest.fixture()
def labelled_shipment(shop, make_orders) -> Shipment:
    [order_id] = make_orders(1)
    shipment = ShopScope(shop.id).add(
        Shipment(
            order_id=order_id,
            courier="fan_courier",
            status="created",
            idempotency_key="k0",
            tracking_number="2347300120337",
            tracking_status="created",
            request={},
        )
    )
    db.session.commit()
    return shipment


def test_exception_and_return_are_shown_to_the_merchant_in_their_language(
    merchant, shop, labelled_shipment
):
    answer = TrackingStatus("exception", "S6 Refuz primire", "2026-11-22 11:00:00")
    tracking.record(labelled_shipment, answer, utcnow())

    page = merchant(shop).get("/embedded/labels").get_data(as_text=True)

    assert 'id="attention"' in page
    assert "Te paczki wymagają Twojej uwagi" in page and "Problem z doręczeniem" in page  # pl


def test_labels_tab_has_no_attention_block_when_all_is_well(merchant, shop, labelled_shipment):
    tracking.record(labelled_shipment, TrackingStatus("in_transit", "H4", None), utcnow())
    page = merchant(shop).get("/embedded/labels")
    assert 'id="attention"' not in page.get_data(as_text=True)
    assert "W drodze" in page.get_data(as_text=True)


def test_tracking_page_shows_the_history_in_the_language_asked(client, shop, labelled_shipment):
    documented = fixture_json("fancourier/tracking_response.json")
    tracking.record(labelled_shipment, parse_tracking(documented, "2347300120337"), utcnow())
    url = f"/track/{shop.id}/2347300120337"

    ro = client.get(url, query_string={"lang": "ro"}).get_data(as_text=True)
    en = client.get(url, headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    pl = client.get(url).get_data(as_text=True)  # nothing asked: the shop's language

    assert "Preluat de curier" in ro and "Istoric" in ro and "2023-11-28 18:58:00" in ro
    assert "Picked up by the courier" in en and "FAN Courier" in en
    assert "Odebrana przez kuriera" in pl
    assert "Expeditie ridicata" not in ro and "Bucuresti" not in ro  # ours; no scan places
    assert client.get(f"/track/{shop.id}/999").status_code == 404


@responses.activate
def test_fan_courier_lost_answer_holds_the_shipment_for_a_person_never_a_second_awb(
    shop, configure, record_order
):
    configure(courier="fan_courier", credentials=FAN_CREDENTIALS)
    fan_login_and_localities()
    awb = responses.post(f"{FAN}/intern-awb", body=requests.ReadTimeout("lost answer"))
    order = record_order(FETESTI)

    with pytest.raises(Exception, match="no answer"):
        create_order_shipment(shop.id, order.id)
    assert create_order_shipment(shop.id, order.id) == "needs_check"
    assert create_order_shipment(shop.id, order.id) == "needs_check"

    [shipment] = shipments(shop)
    assert awb.call_count == 1
    assert "check there for #5001#" in (shipment.error or "")


@responses.activate
def test_fan_courier_prints_a_label_for_a_known_locality(shop, configure, record_order):
    configure(courier="fan_courier", credentials=FAN_CREDENTIALS)
    fan_login_and_localities()
    responses.post(f"{FAN}/intern-awb", json=fixture_json("fancourier/intern_awb_response.json"))
    responses.get(f"{FAN}/awb/label", body=b"%PDF-1.4 fan")
    order = record_order(FETESTI)

    assert create_order_shipment(shop.id, order.id) == "created"
    [shipment] = shipments(shop)
    assert (shipment.tracking_number, shipment.label) == ("2347300120337", b"%PDF-1.4 fan")


@responses.activate
@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("pl", "FAN Courier nie zna miejscowości „Fetesti-Gara” w okręgu „Ialomita”"),
        ("ro", "FAN Courier nu cunoaște localitatea „Fetesti-Gara” din județul „Ialomita”"),
        ("en", "FAN Courier does not know the locality “Fetesti-Gara” in county “Ialomita”"),
    ],
)
def test_unknown_locality_is_explained_to_the_merchant_before_any_awb(
    shop, configure, record_order, locale, words
):
    db.session.get(Shop, shop.id).locale = locale
    configure(courier="fan_courier", credentials=FAN_CREDENTIALS)
    fan_login_and_localities()
    awb = responses.post(f"{FAN}/intern-awb", json={})
    order = record_order({**FETESTI, "city": "Fetesti-Gara"})

    assert create_order_shipment(shop.id, order.id) == "failed"

    [shipment] = shipments(shop)
    assert words in (shipment.error or "")
    assert awb.call_count == 0


@responses.activate
def test_unknown_county_says_county(shop, configure, record_order):
    configure(courier="cargus", credentials=CARGUS_CREDENTIALS)
    cargus_geography_and_awb()
    order = record_order({**PITESTI, "province": "Argeș-Nord"})

    assert create_order_shipment(shop.id, order.id) == "failed"
    [shipment] = shipments(shop)
    assert "Cargus nie zna okręgu „Argeș-Nord”" in (shipment.error or "")


@responses.activate
def test_a_shipment_cancelled_on_our_side_is_not_tracked_any_more(shop, labelled_shipment):
    labelled_shipment.status, labelled_shipment.next_track_at = "cancelled", utcnow()
    db.session.commit()
    asked = responses.get(f"{FAN}/reports/awb/tracking", json={})

    assert tracking.track_shipment(shop.id, labelled_shipment.id) == "stopped"

    assert asked.call_count == 0
    assert labelled_shipment.next_track_at is None
