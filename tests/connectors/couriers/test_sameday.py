from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import responses

from app.connectors.couriers.base import Address, CourierError, Parcel
from app.connectors.couriers.sameday import PRODUCTION, Sameday
from app.connectors.couriers.sameday.mapping import Account, build_awb, parse_awb, parse_status
from tests.support.couriers import fixture_json, fixture_text, make_request

# The same inputs as the SDK's documented request (SamedayPostAwbRequestTest).
SDK_RECIPIENT = Address(
    name="name",
    phone="phone",
    street="address",
    city="city",
    county="county",
    postal_code="postalCode",
    email="email",
    country_code="RO",
)
SDK_ACCOUNT = Account(pickup_point_id=1, contact_person_id=2, service_id=3, package_type=2)
ACCOUNT = Account(pickup_point_id=11, service_id=7)


def sdk_request(**overrides):
    values = {
        "recipient": SDK_RECIPIENT,
        "parcels": (
            Parcel(Decimal("1"), Decimal("0"), Decimal("0"), Decimal("0")),
            Parcel(
                Decimal("1"), width_cm=Decimal("2"), length_cm=Decimal("3"), height_cm=Decimal("4")
            ),
        ),
        "cod_amount": Decimal("110"),
        "insured_value": Decimal("100"),
        "idempotency_key": "reference",
        "order_reference": "1001",
        "currency": "RON",
    }
    values.update(overrides)
    return make_request(**values)


def test_awb_form_matches_the_documented_body_field_by_field():
    documented = dict(parse_qsl(fixture_text("sameday/awb_request.txt").strip()))
    documented_order = [
        key for key, _ in parse_qsl(fixture_text("sameday/awb_request.txt").strip())
    ]

    ours = build_awb(sdk_request(), SDK_ACCOUNT)
    keys = [key for key, _ in ours]

    # Fields the SDK sends that we add ourselves: currency (newer API), not in that old test.
    for key, value in ours:
        if key in ("currency", "observation", "thirdPartyPickup"):
            continue
        if key.startswith("parcels[0]") and key != "parcels[0][weight]":
            continue  # the SDK's first parcel had no measurements; ours always has them
        assert key in documented, f"{key} is not a documented field"
        assert value == documented[key], f"{key}: {value!r} != {documented[key]!r}"
    # Same order as the SDK builds it (Sameday's Symfony forms do not care, people reading do).
    shared = [k for k in documented_order if k in keys]
    assert shared == [k for k in keys if k in shared]
    assert dict(ours)["thirdPartyPickup"] == "0"


def test_cod_is_zero_for_prepaid_orders():
    fields = dict(build_awb(sdk_request(cod_amount=None), SDK_ACCOUNT))
    assert fields["cashOnDelivery"] == "0"


def test_locker_delivery_sends_the_locker_as_last_mile():
    fields = dict(build_awb(sdk_request(pickup_point="1234"), SDK_ACCOUNT))
    assert fields["lockerLastMile"] == "1234"


def test_recipient_without_county_is_refused_before_calling_sameday():
    from dataclasses import replace

    with pytest.raises(CourierError, match="county"):
        build_awb(sdk_request(recipient=replace(SDK_RECIPIENT, county="")), SDK_ACCOUNT)


def test_awb_response_gives_the_awb_as_tracking_number():
    result = parse_awb(fixture_json("sameday/awb_response.json"))
    assert result.carrier_shipment_id == "foo"
    assert result.tracking_number == "foo"


def test_status_of_a_delivered_awb_is_delivered():
    status = parse_status(fixture_json("sameday/awb_status_response.json"))
    assert status.status == "delivered"
    assert status.courier_status == "AWB Emis"
    assert status.at == "2019-02-26T12:37:28+0200"


def _sameday() -> Sameday:
    return Sameday(username="shop", password="secret", account=ACCOUNT, token="expired")


@responses.activate
def test_expired_token_logs_in_again_and_retries_once():
    auth = responses.post(
        f"{PRODUCTION}/api/authenticate", json=fixture_json("sameday/authenticate_response.json")
    )
    responses.post(f"{PRODUCTION}/api/awb", json={"code": 401}, status=401)
    responses.post(
        f"{PRODUCTION}/api/awb", json=fixture_json("sameday/awb_response.json"), status=201
    )
    label = responses.get(f"{PRODUCTION}/api/awb/download/foo/A6", body=b"%PDF-1.4 label")

    result = _sameday().create_shipment(sdk_request())

    assert result.tracking_number == "foo"
    assert result.label == b"%PDF-1.4 label"
    assert auth.call_count == 1
    assert auth.calls[0].request.headers["X-Auth-Username"] == "shop"
    assert auth.calls[0].request.headers["X-Auth-Password"] == "secret"
    awb_calls = [c for c in responses.calls if c.request.url == f"{PRODUCTION}/api/awb"]
    assert len(awb_calls) == 2
    assert awb_calls[0].request.headers["X-AUTH-TOKEN"] == "expired"
    assert awb_calls[1].request.headers["X-AUTH-TOKEN"] == "foo"
    assert label.calls[0].request.headers["X-AUTH-TOKEN"] == "foo"


@responses.activate
def test_a_second_401_is_not_retried_again():
    auth = responses.post(
        f"{PRODUCTION}/api/authenticate", json=fixture_json("sameday/authenticate_response.json")
    )
    awb = responses.post(f"{PRODUCTION}/api/awb", json={"code": 401}, status=401)

    with pytest.raises(CourierError) as caught:
        _sameday().create_shipment(sdk_request())

    assert caught.value.status == 401
    assert auth.call_count == 1
    assert awb.call_count == 2


@responses.activate
def test_refused_awb_shows_sameday_field_errors():
    responses.post(
        f"{PRODUCTION}/api/awb",
        json={
            "code": 400,
            "message": "Validation Failed",
            "errors": {
                "children": {
                    "awbRecipient": {
                        "children": {"postalCode": {"errors": ["Invalid postal code"]}}
                    }
                }
            },
        },
        status=400,
    )
    with pytest.raises(CourierError, match=r"awbRecipient\.postalCode: Invalid postal code"):
        _sameday().create_shipment(sdk_request())


@responses.activate
def test_awb_is_kept_when_its_label_cannot_be_fetched_yet():
    responses.post(
        f"{PRODUCTION}/api/authenticate", json=fixture_json("sameday/authenticate_response.json")
    )
    responses.post(
        f"{PRODUCTION}/api/awb", json=fixture_json("sameday/awb_response.json"), status=201
    )
    responses.get(f"{PRODUCTION}/api/awb/download/foo/A6", json={"code": 404}, status=404)

    result = _sameday().create_shipment(sdk_request())

    assert (result.carrier_shipment_id, result.tracking_number, result.label) == (
        "foo",
        "foo",
        None,
    )
