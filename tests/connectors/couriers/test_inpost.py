from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from app.connectors.couriers.base import CourierError, CourierUnavailable
from app.connectors.couriers.inpost import PRODUCTION, InPost
from app.connectors.couriers.inpost.mapping import build_shipment, parse_tracking
from tests.support.couriers import fixture_json, make_request

ORG = "1234"


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what 'the same shape' means field by field."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else type(value).__name__
    )


def assert_fits(ours: Any, documented: Any, path: str = "") -> None:
    """Every field we send exists in the documented body, with the documented JSON type."""
    if isinstance(ours, dict):
        assert isinstance(documented, dict), path
        for key, value in ours.items():
            assert key in documented, f"{path}.{key} is not a documented field"
            assert_fits(value, documented[key], f"{path}.{key}")
    elif isinstance(ours, list):
        assert isinstance(documented, list) and documented, path
        for item in ours:
            assert_fits(item, documented[0], f"{path}[]")
    else:
        assert ours == documented, f"{path}: {ours!r} is not {documented!r}"


def test_locker_request_matches_the_documented_example_field_by_field():
    documented = fixture_json("inpost/shipment_locker_request.json")
    courier_example = fixture_json("inpost/shipment_courier_request.json")
    request = make_request(
        pickup_point="KRA012",
        cod_amount=Decimal("12.50"),
        insured_value=Decimal("25"),
        service="inpost_locker_standard",
    )

    body = build_shipment(request)

    # The locker example has no sender (it is optional there); its shape is the courier one.
    assert_fits(shape({k: v for k, v in body.items() if k != "sender"}), shape(documented))
    assert shape(body["sender"]) == shape(courier_example["sender"])
    for field in ("service", "reference", "cod", "insurance", "custom_attributes"):
        assert body[field] == documented[field], field
    assert body["parcels"] == [{"template": "small"}]
    for field in ("first_name", "last_name", "email", "phone", "company_name"):
        assert body["receiver"][field] == documented["receiver"][field]


def test_courier_request_matches_the_documented_example_field_by_field():
    documented = fixture_json("inpost/shipment_courier_request.json")
    request = make_request(
        cod_amount=Decimal("12.50"),
        insured_value=Decimal("25"),
        service="inpost_courier_standard",
    )

    body = build_shipment(request)

    assert_fits(shape(body), shape(documented))
    for field in ("sender", "receiver", "service", "reference", "cod", "insurance"):
        assert body[field] == documented[field], field
    parcel = {k: v for k, v in documented["parcels"][0].items() if k != "id"}
    assert body["parcels"] == [parcel]
    assert "custom_attributes" not in body


def test_prepaid_order_sends_no_cod():
    assert "cod" not in build_shipment(make_request(service="inpost_courier_standard"))


def test_locker_service_without_a_locker_is_refused_before_calling_inpost():
    with pytest.raises(CourierError, match="locker"):
        build_shipment(make_request(service="inpost_locker_standard"))


@pytest.fixture()
def inpost() -> InPost:
    return InPost(token="t0k3n", organization_id=ORG, sleep=lambda _s: None)


@responses.activate
def test_create_waits_for_the_tracking_number_of_the_confirmed_offer(inpost):
    created = fixture_json("inpost/shipment_created_response.json")
    confirmed = {**created, "status": "confirmed", "tracking_number": "602677439331630337653846"}
    post = responses.post(f"{PRODUCTION}/v1/organizations/{ORG}/shipments", json=created)
    responses.get(f"{PRODUCTION}/v1/shipments/49", json=created)
    responses.get(f"{PRODUCTION}/v1/shipments/49", json=confirmed)

    result = inpost.create_shipment(make_request(pickup_point="KRA012"))

    assert result.carrier_shipment_id == "49"
    assert result.tracking_number == "602677439331630337653846"
    assert result.tracking_url and result.tracking_number in result.tracking_url
    assert post.calls[0].request.headers["Authorization"] == "Bearer t0k3n"
    assert json.loads(post.calls[0].request.body)["custom_attributes"]["target_point"] == "KRA012"


@responses.activate
def test_refusal_carries_inposts_own_message(inpost):
    responses.post(
        f"{PRODUCTION}/v1/organizations/{ORG}/shipments",
        json=fixture_json("inpost/validation_error_response.json"),
        status=400,
    )
    with pytest.raises(CourierError, match="target_point") as caught:
        inpost.create_shipment(make_request(pickup_point="XXX000"))
    assert not isinstance(caught.value, CourierUnavailable)
    assert caught.value.status == 400


@responses.activate
def test_timeout_is_reported_as_unavailable(inpost):
    responses.post(
        f"{PRODUCTION}/v1/organizations/{ORG}/shipments", body=requests.ReadTimeout("slow")
    )
    with pytest.raises(CourierUnavailable):
        inpost.create_shipment(make_request(pickup_point="KRA012"))


@responses.activate
def test_find_shipment_searches_by_our_reference(inpost):
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
        "reference": "1001#7",
    }
    someone_elses = {**confirmed, "id": 50, "reference": "1001#8", "tracking_number": "6026"}
    search = responses.get(
        f"{PRODUCTION}/v1/organizations/{ORG}/shipments",
        json={"count": 2, "page": 1, "per_page": 25, "items": [someone_elses, confirmed]},
    )

    found = inpost.find_shipment(make_request(idempotency_key="1001#7"))

    assert found is not None and found.tracking_number == "602677439331630337653846"
    assert "reference=1001%237" in search.calls[0].request.url


@responses.activate
def test_labels_are_asked_in_the_chosen_format(inpost):
    label = responses.get(f"{PRODUCTION}/v1/shipments/49/label", body=b"^XA^XZ")
    assert inpost.get_labels(["49"], "ZPL") == b"^XA^XZ"
    assert "format=Zpl" in label.calls[0].request.url
    assert "type=normal" in label.calls[0].request.url


def test_tracking_maps_inpost_status_onto_ours():
    status = parse_tracking(fixture_json("inpost/tracking_response.json"))
    assert status.status == "ready_for_pickup"
    assert status.courier_status == "ready_to_pickup"
    assert status.at == "2017-09-07T10:12:01.000+02:00"


def test_phone_numbers_are_sent_as_nine_national_digits_and_empty_fields_are_left_out():
    from dataclasses import replace

    from tests.support.couriers import RECIPIENT

    recipient = replace(RECIPIENT, phone="+48 600-100-200", email="", company="")
    body = build_shipment(make_request(recipient=recipient, service="inpost_courier_standard"))

    assert body["receiver"]["phone"] == "600100200"
    assert "email" not in body["receiver"] and "company_name" not in body["receiver"]


@responses.activate
def test_find_shipment_never_adopts_a_shipment_with_another_reference(inpost):
    other = {**fixture_json("inpost/shipment_created_response.json"), "reference": "999#1"}
    responses.get(f"{PRODUCTION}/v1/organizations/{ORG}/shipments", json={"items": [other]})

    assert inpost.find_shipment(make_request(idempotency_key="1001#7")) is None


@responses.activate
def test_created_but_never_confirmed_is_unavailable_so_it_is_looked_up_not_recreated(inpost):
    created = fixture_json("inpost/shipment_created_response.json")
    responses.post(f"{PRODUCTION}/v1/organizations/{ORG}/shipments", json=created)
    responses.get(f"{PRODUCTION}/v1/shipments/49", json=created)
    with pytest.raises(CourierUnavailable, match="not confirmed"):
        inpost.create_shipment(make_request(pickup_point="KRA012"))


@responses.activate
def test_a_refused_confirmation_read_is_unavailable_not_a_refusal(inpost):
    created = fixture_json("inpost/shipment_created_response.json")
    responses.post(f"{PRODUCTION}/v1/organizations/{ORG}/shipments", json=created)
    responses.get(f"{PRODUCTION}/v1/shipments/49", json={"error": "not_found"}, status=404)
    with pytest.raises(CourierUnavailable, match="confirmation failed"):
        inpost.create_shipment(make_request(pickup_point="KRA012"))
