"""Cargus adapter: bodies from tests/fixtures/couriers/cargus (see its README)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from app.connectors.couriers.base import (
    Address,
    AddressMismatch,
    CourierError,
    CourierUnavailable,
    PickupRequest,
)
from app.connectors.couriers.cargus import API, Cargus
from app.connectors.couriers.cargus.mapping import (
    Account,
    build_awb,
    event_status,
    parse_awb,
    parse_pudo_points,
    parse_tracking,
)
from tests.support.couriers import fixture_json, make_request

ACCOUNT = Account(pickup_location_id=201165677)
# The documented pickup-point example's address (PickupLocations, §5.4).
RECIPIENT = Address(
    name="Contact Name",
    street="Street Name",
    building_number="5",
    city="Pitesti",
    county="Arges",
    postal_code="110001",
    country_code="RO",
    phone="072769821",
    email="email@example.com",
)


def request(**overrides: Any):
    values: dict[str, Any] = {"recipient": RECIPIENT, "currency": "RON"}
    values.update(overrides)
    return make_request(**values)


def test_awb_body_uses_only_documented_fields_with_documented_types():
    documented = fixture_json("cargus/awb_request.json")
    party = {**documented["Sender"], **documented["Recipient"]}  # the doc's two party forms
    body = build_awb(request(cod_amount=Decimal("99.5")), ACCOUNT)

    for key, value in body.items():
        assert key in documented, f"{key} is not a documented field"
        if key in ("Sender", "Recipient"):
            assert set(value) <= set(party), key
        elif key == "ParcelCodes":
            assert [set(p) for p in value] == [set(documented["ParcelCodes"][0])]
        else:
            assert isinstance(value, type(documented[key])) or (
                isinstance(value, int | float) and isinstance(documented[key], int | float)
            ), key
    assert body["Sender"] == {"LocationId": 201165677}
    assert body["Recipient"]["LocalityName"] == "Pitesti"
    assert body["Recipient"]["CountyName"] == "Arges"
    assert (body["ServiceId"], body["CashRepayment"], body["ShipmentPayer"]) == (34, 99.5, 1)
    assert body["CustomString"] == "Test"  # our reference on the AWB


def test_prepaid_order_has_no_cash_repayment():
    assert build_awb(request(), ACCOUNT)["CashRepayment"] == 0


def test_ship_and_go_delivery_is_service_38_with_the_point():
    point = parse_pudo_points(fixture_json("cargus/pudo_get_response.json"))[0]
    body = build_awb(request(pickup_point=str(point["id"])), ACCOUNT)
    assert (body["ServiceId"], body["DeliveryPudoPoint"]) == (38, 114142)
    assert point["address"] == "Atomistilor 99-115" and point["city"] == "Magurele"


def test_recipient_without_county_is_refused_before_calling_cargus():
    with pytest.raises(CourierError, match="county"):
        build_awb(request(recipient=replace(RECIPIENT, county="")), ACCOUNT)


def test_awb_answer_is_the_bar_code():
    assert parse_awb(1041234567).tracking_number == "1041234567"
    with pytest.raises(CourierError):
        parse_awb({"Message": "no"})


def test_trace_maps_each_event_and_ends_delivered():
    status = parse_tracking(fixture_json("cargus/awb_trace_response.json"), "1041234567")
    assert [e.status for e in status.history] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert (status.status, status.at) == ("delivered", "2024-03-05T13:30:00")


@pytest.mark.parametrize(
    ("description", "ours"),
    [("Refuz la livrare", "exception"), ("Expeditie returnata la expeditor", "returned")],
)
def test_cargus_words_for_trouble_map_to_exception_or_returned(description, ours):
    assert event_status(description) == ours


def test_event_21_is_delivered_whatever_its_words():
    assert event_status("Predat", 21) == "delivered"
    assert event_status("Predat", 3) == "in_transit"


@pytest.fixture()
def cargus() -> Cargus:
    return Cargus(subscription_key="sub", username="u", password="p", account=ACCOUNT)


def _login_and_geography() -> responses.BaseResponse:
    login = responses.post(f"{API}/LoginUser", json="tok-24h")
    responses.get(f"{API}/Counties", json=fixture_json("cargus/counties_response.json"))
    responses.get(f"{API}/Localities", json=fixture_json("cargus/localities_response.json"))
    return login


@responses.activate
def test_create_sends_the_key_and_token_checks_the_locality_and_decodes_the_label(cargus):
    login = _login_and_geography()
    awb = responses.post(f"{API}/Awbs", json=1041234567)
    pdf = base64.b64encode(b"%PDF-1.4 cargus").decode()
    label = responses.get(f"{API}/AwbDocuments", json=pdf)

    result = cargus.create_shipment(request())

    assert (result.tracking_number, result.label) == ("1041234567", b"%PDF-1.4 cargus")
    assert login.calls[0].request.headers["Ocp-Apim-Subscription-Key"] == "sub"
    assert json.loads(login.calls[0].request.body) == {"UserName": "u", "Password": "p"}
    assert awb.calls[0].request.headers["Authorization"] == "Bearer tok-24h"
    assert awb.calls[0].request.headers["Ocp-Apim-Subscription-Key"] == "sub"
    query = parse_qs(urlparse(label.calls[0].request.url).query)
    assert query["barCodes"] == ['["1041234567"]'] and query["format"] == ["1"]


@responses.activate
def test_unknown_county_is_refused_before_any_awb(cargus):
    _login_and_geography()
    awb = responses.post(f"{API}/Awbs", json=1)
    with pytest.raises(AddressMismatch) as caught:
        cargus.create_shipment(request(recipient=replace(RECIPIENT, county="Argeş-Vest")))
    assert not caught.value.county_known
    assert awb.call_count == 0


@responses.activate
def test_locality_outside_the_county_is_refused(cargus):
    _login_and_geography()
    with pytest.raises(AddressMismatch) as caught:
        cargus.create_shipment(request(recipient=replace(RECIPIENT, city="Mioveni")))
    assert caught.value.county_known and caught.value.locality == "Mioveni"


@responses.activate
def test_timeout_is_unavailable_and_there_is_no_second_awb(cargus):
    _login_and_geography()
    responses.post(f"{API}/Awbs", body=requests.ConnectTimeout("slow"))
    with pytest.raises(CourierUnavailable):
        cargus.create_shipment(request())
    assert cargus.find_shipment(request()) is None
    assert not cargus.capabilities.lookup_by_reference


@responses.activate
def test_track_and_cancel_name_the_bar_code(cargus):
    cargus.token = "tok"
    trace = responses.get(f"{API}/AwbTrace", json=fixture_json("cargus/awb_trace_response.json"))
    delete = responses.delete(f"{API}/Awbs", json=1)

    assert cargus.track("1041234567").status == "delivered"
    cargus.cancel("1041234567")

    assert parse_qs(urlparse(trace.calls[0].request.url).query)["barCode"] == ['["1041234567"]']
    assert "barCode=1041234567" in delete.calls[0].request.url


@responses.activate
def test_pickup_order_validates_the_pickup_points_order_for_the_day(cargus):
    cargus.token = "tok"
    orders = responses.put(f"{API}/Orders", json=1)
    request = PickupRequest(day=date(2024, 3, 5), parcels=3, weight_kg=Decimal("4"))

    assert cargus.order_pickup(request) == "1"

    query = parse_qs(urlparse(orders.calls[0].request.url).query)
    assert query["locationId"] == ["201165677"] and query["action"] == ["1"]
    assert query["PickupStartDate"] == ["2024-03-05T10:00"]
    assert query["PickupEndDate"] == ["2024-03-05T17:00"]
