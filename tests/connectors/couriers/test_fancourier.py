"""FAN Courier adapter: bodies from tests/fixtures/couriers/fancourier (see its README)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

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
from app.connectors.couriers.fancourier import API, FanCourier
from app.connectors.couriers.fancourier.mapping import (
    Account,
    build_awb,
    build_pickup,
    event_status,
    parse_awb,
    parse_localities,
    parse_tracking,
)
from tests.support.couriers import fixture_json, make_request

ACCOUNT = Account(client_id=7032158, bank="BCR", iban="RO00BCR0000000000000000")
# The fixture's recipient (AwbInternTest in the README's source).
RECIPIENT = Address(
    name="Ion Popescu",
    company="COM S.R.L.",
    street="Grausor",
    building_number="12A",
    flat_number="4",
    city="Fetesti",
    county="Ialomita",
    postal_code="925100",
    country_code="RO",
    phone="0720000000",
    email="email@example.com",
)


def request(**overrides: Any):
    values: dict[str, Any] = {"recipient": RECIPIENT, "currency": "RON"}
    values.update(overrides)
    return make_request(**values)


def assert_fits_fixture(ours: Any, fixture: Any, path: str = "") -> None:
    """Every key we send exists in the fixture body, with its JSON type."""
    if isinstance(ours, dict):
        assert isinstance(fixture, dict), path
        for key, value in ours.items():
            assert key in fixture, f"{path}.{key} is not a field of the fixture"
            assert_fits_fixture(value, fixture[key], f"{path}.{key}")
    elif isinstance(ours, list):
        assert isinstance(fixture, list), path
        for item in ours:
            assert_fits_fixture(item, fixture[0], f"{path}[]")
    elif isinstance(ours, int | float) and not isinstance(ours, bool):
        assert isinstance(fixture, int | float) and not isinstance(fixture, bool), path
    else:
        assert type(ours) is type(fixture), f"{path}: {ours!r} vs {fixture!r}"


def test_cod_awb_matches_the_fixture_body_field_by_field():
    fixture = fixture_json("fancourier/intern_awb_request.json")
    body = build_awb(request(cod_amount=Decimal("100"), insured_value=Decimal("250")), ACCOUNT)

    assert_fits_fixture(body, fixture)
    info, to = body["shipments"][0]["info"], body["shipments"][0]["recipient"]
    fix_info, fix_to = fixture["shipments"][0]["info"], fixture["shipments"][0]["recipient"]
    assert body["clientId"] == fixture["clientId"]
    for key in ("service", "bank", "bankAccount"):
        assert info[key] == fix_info[key], key
    assert info["cod"] == 100 and info["declaredValue"] == 250
    assert info["payment"] == "expeditor"  # the shop pays the AWB, not the customer
    for key in ("name", "contactPerson", "phone", "email"):
        assert to[key] == fix_to[key], key
    for key in ("county", "locality", "street", "streetNo", "zipCode", "apartment"):
        assert to["address"][key] == fix_to["address"][key], key
    assert info["costCenter"] == "Test"  # our reference travels with the AWB


def test_prepaid_order_is_standard_with_no_cod_and_no_bank_account():
    info = build_awb(request(), ACCOUNT)["shipments"][0]["info"]
    assert (info["service"], info["cod"], info["bankAccount"]) == ("Standard", 0, "")


def test_fanbox_delivery_names_the_locker():
    body = build_awb(request(pickup_point="PUDO1"), ACCOUNT)["shipments"][0]
    assert body["info"]["service"] == "FANbox"
    assert body["recipient"]["address"]["pickupLocationId"] == "PUDO1"


def test_recipient_without_county_is_refused_before_calling_fan():
    with pytest.raises(CourierError, match="county"):
        build_awb(request(recipient=replace(RECIPIENT, county="")), ACCOUNT)


def test_awb_response_gives_the_awb_number():
    result = parse_awb(fixture_json("fancourier/intern_awb_response.json"))
    assert (result.carrier_shipment_id, result.tracking_number) == ("2347300120337",) * 2
    assert "2347300120337" in (result.tracking_url or "")


def test_awb_refused_per_shipment_carries_fans_errors():
    with pytest.raises(CourierError, match="locality: invalid"):
        parse_awb({"response": [{"awbNumber": None, "errors": {"locality": ["invalid"]}}]})


def test_tracking_maps_the_fixtures_pickup_event_with_its_history():
    status = parse_tracking(fixture_json("fancourier/tracking_response.json"), "2347300120337")
    assert status.status == "picked_up"
    assert status.courier_status == "C0 Expeditie ridicata"
    assert status.at == "2023-11-28 18:58:00"
    assert [(e.status, e.location) for e in status.history] == [("picked_up", "Bucuresti")]


@pytest.mark.parametrize(
    ("code", "name", "ours"),
    [
        ("H4", "Sosire in depozit", "in_transit"),
        ("S1", "Expeditie in livrare", "out_for_delivery"),
        ("S2", "Livrat", "delivered"),
        ("S6", "Refuz primire", "exception"),
        ("S16", "Retur la expeditor", "returned"),
    ],
)
def test_fan_event_codes_map_onto_our_statuses(code, name, ours):
    assert event_status(code, name) == ours


def test_tracking_of_an_awb_fan_does_not_list_is_unknown():
    data = fixture_json("fancourier/tracking_response.json")
    assert parse_tracking(data, "1").status == "unknown"


def test_localities_are_county_and_name_pairs():
    pairs = parse_localities(fixture_json("fancourier/localities_response.json"))
    assert pairs == [("Bucuresti", "Bucuresti"), ("Ialomita", "Fetesti")]


@pytest.fixture()
def fan() -> FanCourier:
    return FanCourier(username="clienttest", password="testing", account=ACCOUNT)


def _login_and_localities() -> None:
    responses.post(f"{API}/login", json=fixture_json("fancourier/login_response.json"))
    responses.get(
        f"{API}/reports/localities", json=fixture_json("fancourier/localities_response.json")
    )


@responses.activate
def test_create_logs_in_checks_the_locality_then_asks_for_the_awb_and_its_label(fan):
    _login_and_localities()
    awb = responses.post(
        f"{API}/intern-awb", json=fixture_json("fancourier/intern_awb_response.json")
    )
    label = responses.get(f"{API}/awb/label", body=b"%PDF-1.4 fan")

    result = fan.create_shipment(request(label_format="PDF_A4"))

    assert (result.tracking_number, result.label) == ("2347300120337", b"%PDF-1.4 fan")
    token = "Bearer 1811783|P28BQMrSipEdRfPujLKpqKJjoYLyxT8RsW0MxMQ7"
    assert awb.calls[0].request.headers["Authorization"] == token
    assert "format=A4" in label.calls[0].request.url and "pdf=1" in label.calls[0].request.url


@responses.activate
def test_a_locality_fan_does_not_know_is_refused_before_any_awb(fan):
    _login_and_localities()
    awb = responses.post(f"{API}/intern-awb", json={})
    wrong = replace(RECIPIENT, city="Fetesti-Gara")

    with pytest.raises(AddressMismatch) as caught:
        fan.create_shipment(request(recipient=wrong))

    assert caught.value.county_known and caught.value.locality == "Fetesti-Gara"
    assert awb.call_count == 0


@responses.activate
def test_diacritics_and_prefixes_still_match_fans_spelling(fan):
    _login_and_localities()
    responses.post(f"{API}/intern-awb", json=fixture_json("fancourier/intern_awb_response.json"))
    responses.get(f"{API}/awb/label", body=b"%PDF")
    spelled = replace(RECIPIENT, county="Judeţul Ialomiţa", city="Municipiul Feteşti")

    assert fan.create_shipment(request(recipient=spelled)).tracking_number == "2347300120337"


@responses.activate
def test_timeout_is_unavailable_so_the_shipment_is_held_not_sent_again(fan):
    _login_and_localities()
    responses.post(f"{API}/intern-awb", body=requests.ReadTimeout("slow"))
    with pytest.raises(CourierUnavailable):
        fan.create_shipment(request())
    assert fan.find_shipment(request()) is None
    assert not fan.capabilities.lookup_by_reference


@responses.activate
def test_expired_token_logs_in_again_once(fan):
    fan.token = "expired"
    login = responses.post(f"{API}/login", json=fixture_json("fancourier/login_response.json"))
    responses.get(f"{API}/reports/awb/tracking", status=401, json={"message": "Unauthenticated"})
    responses.get(
        f"{API}/reports/awb/tracking", json=fixture_json("fancourier/tracking_response.json")
    )

    assert fan.track("2347300120337").status == "picked_up"
    assert login.call_count == 1


@responses.activate
def test_zpl_labels_and_cancel_name_the_awb(fan):
    fan.token = "t"
    zpl = responses.get(f"{API}/awb/label", body=b"^XA^XZ")
    delete = responses.delete(f"{API}/awb", json={"status": "success"})

    assert fan.get_labels(["2347300120337"], "ZPL") == b"^XA^XZ"
    fan.cancel("2347300120337")

    assert "zpl=1" in zpl.calls[0].request.url
    assert "awb=2347300120337" in delete.calls[0].request.url


def test_pickup_order_matches_the_fixture_body():
    fixture = fixture_json("fancourier/order_request.json")
    body = build_pickup(
        PickupRequest(day=date(2024, 3, 5), parcels=2, weight_kg=Decimal("3")), ACCOUNT
    )
    assert_fits_fixture(body, fixture)
    for key in ("packages", "orderType", "pickupDate", "pickupHours", "weight"):
        assert body["info"][key] == fixture["info"][key], key


@responses.activate
def test_pickup_order_is_posted_with_the_token(fan):
    fan.token = "t"
    order = responses.post(f"{API}/order", json=fixture_json("fancourier/order_response.json"))
    request = PickupRequest(day=date(2024, 3, 5), parcels=1, weight_kg=Decimal("1"))
    assert fan.order_pickup(request) == "991"
    assert order.calls[0].request.headers["Authorization"] == "Bearer t"
