"""The adapter contract every courier passes alike: create, look up after a timeout, labels,
cancel, track. Each courier is faked over HTTP with its fixtures (tests/fixtures/couriers,
sources in its README); what differs between couriers is only where each call goes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from app.connectors.couriers import cargus, fancourier, inpost, sameday
from app.connectors.couriers.base import (
    TRACKING_STATUSES,
    Address,
    Courier,
    CourierUnavailable,
    ShipmentRequest,
)
from tests.support.couriers import fixture_json, make_request

ORG = "1234"
INPOST = inpost.PRODUCTION
SAMEDAY = sameday.PRODUCTION
FAN = fancourier.API
CARGUS = cargus.API
PDF = b"%PDF-1.4 label"
FETESTI = Address(
    name="Ion Popescu",
    street="Grausor",
    building_number="12A",
    city="Fetesti",
    county="Ialomita",
    postal_code="925100",
    country_code="RO",
    phone="0720000000",
)
PITESTI = Address(
    name="Contact Name",
    street="Street Name",
    building_number="5",
    city="Pitesti",
    county="Arges",
    postal_code="110001",
    country_code="RO",
    phone="072769821",
)


@dataclass(frozen=True)
class Call:
    method: str
    url: str


@dataclass(frozen=True)
class Case:
    """One courier's side of the contract: its adapter, the calls it makes, its answers."""

    make: Callable[[], Courier]
    request: ShipmentRequest
    setup: Callable[[], None]  # login and address lists, where the courier has them
    create: Call  # the call that makes the shipment (the one that may time out)
    created: Callable[[], None]  # the courier's answers to a shipment that went through
    number: str  # the tracking number those answers give
    found: Callable[[], None] = lambda: None  # the answer to a lookup by our reference
    label: Call = field(default_factory=lambda: Call("GET", ""))
    label_answer: dict[str, Any] = field(default_factory=lambda: {"body": PDF})
    cancel: Call = field(default_factory=lambda: Call("DELETE", ""))
    track: Call = field(default_factory=lambda: Call("GET", ""))
    tracked: dict[str, Any] = field(default_factory=dict)  # responses kwargs of the answer
    tracked_status: str = ""


def _inpost_created() -> None:
    created = fixture_json("inpost/shipment_created_response.json")
    confirmed = {**created, "status": "confirmed", "tracking_number": "602677439331630337653846"}
    responses.post(f"{INPOST}/v1/organizations/{ORG}/shipments", json=created)
    responses.get(f"{INPOST}/v1/shipments/49", json=confirmed)


def _inpost_found() -> None:
    confirmed = {
        **fixture_json("inpost/shipment_created_response.json"),
        "status": "confirmed",
        "tracking_number": "602677439331630337653846",
        "reference": "Test",
    }
    responses.get(f"{INPOST}/v1/organizations/{ORG}/shipments", json={"items": [confirmed]})


def _sameday_setup() -> None:
    answer = fixture_json("sameday/authenticate_response.json")
    responses.post(f"{SAMEDAY}/api/authenticate", json=answer)


def _sameday_created() -> None:
    responses.post(f"{SAMEDAY}/api/awb", json=fixture_json("sameday/awb_response.json"), status=201)
    responses.get(f"{SAMEDAY}/api/awb/download/foo/A6", body=PDF)


def _fan_setup() -> None:
    responses.post(f"{FAN}/login", json=fixture_json("fancourier/login_response.json"))
    responses.get(
        f"{FAN}/reports/localities", json=fixture_json("fancourier/localities_response.json")
    )


def _fan_created() -> None:
    responses.post(f"{FAN}/intern-awb", json=fixture_json("fancourier/intern_awb_response.json"))
    responses.get(f"{FAN}/awb/label", body=PDF)


def _cargus_setup() -> None:
    responses.post(f"{CARGUS}/LoginUser", json="tok-24h")
    responses.get(f"{CARGUS}/Counties", json=fixture_json("cargus/counties_response.json"))
    responses.get(f"{CARGUS}/Localities", json=fixture_json("cargus/localities_response.json"))


def _cargus_created() -> None:
    responses.post(f"{CARGUS}/Awbs", json=1041234567)
    responses.get(f"{CARGUS}/AwbDocuments", json=base64.b64encode(PDF).decode())


CASES = {
    "inpost": Case(
        make=lambda: inpost.InPost(token="t0k3n", organization_id=ORG, sleep=lambda _s: None),
        request=make_request(service="inpost_courier_standard"),
        setup=lambda: None,
        create=Call("POST", f"{INPOST}/v1/organizations/{ORG}/shipments"),
        created=_inpost_created,
        number="602677439331630337653846",
        found=_inpost_found,
        label=Call("GET", f"{INPOST}/v1/shipments/49/label"),
        cancel=Call("DELETE", f"{INPOST}/v1/shipments/49"),
        track=Call("GET", f"{INPOST}/v1/tracking/602677439331630337653846"),
        tracked={"json": fixture_json("inpost/tracking_response.json")},
        tracked_status="ready_for_pickup",
    ),
    "sameday": Case(
        make=lambda: sameday.Sameday(
            username="shop", password="secret", account=sameday.mapping.Account(11, 7)
        ),
        request=make_request(recipient=FETESTI, currency="RON"),
        setup=_sameday_setup,
        create=Call("POST", f"{SAMEDAY}/api/awb"),
        created=_sameday_created,
        number="foo",
        label=Call("GET", f"{SAMEDAY}/api/awb/download/foo/A6"),
        cancel=Call("DELETE", f"{SAMEDAY}/api/awb/foo"),
        track=Call("GET", f"{SAMEDAY}/api/client/awb/foo/status"),
        tracked={"json": fixture_json("sameday/awb_status_response.json")},
        tracked_status="delivered",
    ),
    "fan_courier": Case(
        make=lambda: fancourier.FanCourier(
            username="clienttest",
            password="testing",
            account=fancourier.mapping.Account(client_id=7032158),
        ),
        request=make_request(recipient=FETESTI, currency="RON"),
        setup=_fan_setup,
        create=Call("POST", f"{FAN}/intern-awb"),
        created=_fan_created,
        number="2347300120337",
        label=Call("GET", f"{FAN}/awb/label"),
        cancel=Call("DELETE", f"{FAN}/awb"),
        track=Call("GET", f"{FAN}/reports/awb/tracking"),
        tracked={"json": fixture_json("fancourier/tracking_response.json")},
        tracked_status="picked_up",
    ),
    "cargus": Case(
        make=lambda: cargus.Cargus(
            subscription_key="sub",
            username="u",
            password="p",
            account=cargus.mapping.Account(pickup_location_id=201165677),
        ),
        request=make_request(recipient=PITESTI, currency="RON", cod_amount=Decimal("99.5")),
        setup=_cargus_setup,
        create=Call("POST", f"{CARGUS}/Awbs"),
        created=_cargus_created,
        number="1041234567",
        label=Call("GET", f"{CARGUS}/AwbDocuments"),
        label_answer={"json": base64.b64encode(PDF).decode()},  # a JSON string of base64
        cancel=Call("DELETE", f"{CARGUS}/Awbs"),
        track=Call("GET", f"{CARGUS}/AwbTrace"),
        tracked={"json": fixture_json("cargus/awb_trace_response.json")},
        tracked_status="delivered",
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def _calls(call: Call) -> list[Any]:
    return [
        c
        for c in responses.calls
        if c.request.method == call.method and c.request.url.split("?")[0] == call.url
    ]


@responses.activate
def test_create_gives_the_couriers_id_and_tracking_number(case):
    case.setup()
    case.created()

    result = case.make().create_shipment(case.request)

    assert result.carrier_shipment_id and result.tracking_number == case.number
    assert result.tracking_url and case.number in result.tracking_url
    assert len(_calls(case.create)) == 1


@responses.activate
def test_after_a_timeout_the_shipment_is_looked_up_never_created_twice(case):
    case.setup()
    responses.add(case.create.method, case.create.url, body=requests.ReadTimeout("slow"))
    case.found()
    adapter = case.make()

    with pytest.raises(CourierUnavailable):
        adapter.create_shipment(case.request)
    found = adapter.find_shipment(case.request)

    if adapter.capabilities.lookup_by_reference:
        assert found is not None and found.tracking_number == case.number
    else:  # held for a person: the shipping code marks it needs_check on this answer
        assert found is None
    assert len(_calls(case.create)) == 1


@responses.activate
def test_labels_are_the_pdf_of_the_named_shipment(case):
    case.setup()
    case.created()
    adapter = case.make()
    result = adapter.create_shipment(case.request)
    responses.calls.reset()
    responses.add(case.label.method, case.label.url, **case.label_answer)

    label = adapter.get_labels([result.carrier_shipment_id], "PDF_A6")

    assert label == PDF
    [call] = _calls(case.label)
    assert result.carrier_shipment_id in call.request.url


@responses.activate
def test_cancel_names_the_shipment(case):
    case.setup()
    case.created()
    adapter = case.make()
    result = adapter.create_shipment(case.request)
    responses.add(case.cancel.method, case.cancel.url, status=204)

    adapter.cancel(result.carrier_shipment_id)

    [call] = _calls(case.cancel)
    assert result.carrier_shipment_id in call.request.url


@responses.activate
def test_track_maps_the_couriers_answer_onto_our_statuses(case):
    case.setup()
    tracked = responses.add(case.track.method, case.track.url, **case.tracked)

    status = case.make().track(case.number)

    assert status.status == case.tracked_status
    assert status.status in TRACKING_STATUSES and status.courier_status
    assert tracked.call_count == 1 and case.number in tracked.calls[0].request.url
