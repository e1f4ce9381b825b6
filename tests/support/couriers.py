"""Shared builders for courier tests: documented fixtures and a typical Polish order."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.connectors.couriers.base import Address, Parcel, ShipmentRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "couriers"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


SENDER = Address(
    name="first_name last_name",
    company="Company_name",
    street="Malborska",
    building_number="130",
    city="Kraków",
    postal_code="31-209",
    country_code="PL",
    phone="888000000",
    email="test@inpost.pl",
)
RECIPIENT = Address(
    name="Jan Kowalski",
    company="Company name",
    street="Cybernetyki",
    building_number="10",
    city="Warszawa",
    postal_code="02-677",
    country_code="PL",
    phone="888000000",
    email="receiver@example.com",
)


def make_request(**overrides: Any) -> ShipmentRequest:
    values: dict[str, Any] = {
        "order_reference": "1001",
        "sender": SENDER,
        "recipient": RECIPIENT,
        "parcels": (
            Parcel(
                weight_kg=Decimal("25"),
                length_cm=Decimal("8"),
                width_cm=Decimal("36"),
                height_cm=Decimal("64"),
            ),
        ),
        "idempotency_key": "Test",
        "sequence": 1,
    }
    values.update(overrides)
    return ShipmentRequest(**values)
