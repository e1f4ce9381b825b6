"""What every courier adapter provides: common models, one interface, its errors.

Adapters follow the Karrio split: request building and response parsing are pure functions in
each courier's ``mapping`` module (tested on the courier's documented bodies); the adapter class
is a thin HTTP client around them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

LabelFormat = Literal["PDF_A6", "PDF_A4", "ZPL"]
LABEL_FORMATS: tuple[LabelFormat, ...] = ("PDF_A6", "PDF_A4", "ZPL")
# Normalised tracking statuses every adapter maps its courier's statuses onto.
TRACKING_STATUSES = (
    "created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "ready_for_pickup",
    "delivered",
    "returned",
    "cancelled",
    "exception",
    "unknown",
)


class CourierError(Exception):
    """The courier refused the request (bad address, locker full...): shown per order."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CourierUnavailable(CourierError):
    """No answer we can trust (timeout, 5xx): the shipment may or may not exist there."""


class AddressMismatch(CourierError):
    """The recipient's county or locality is not in the courier's list: nothing was sent.

    Carries the parts so the merchant's page can say it in the merchant's language.
    """

    def __init__(self, courier: str, county: str, locality: str, *, county_known: bool) -> None:
        what = "locality" if county_known else "county"
        super().__init__(
            f"{courier}: {what} not in the courier's list "
            f"(county {county!r}, locality {locality!r})"
        )
        self.courier, self.county, self.locality = courier, county, locality
        self.county_known = county_known


@dataclass(frozen=True)
class Address:
    name: str
    street: str
    city: str
    postal_code: str
    country_code: str
    company: str = ""
    building_number: str = ""
    flat_number: str = ""
    county: str = ""  # Romanian judeţ; Sameday routes on it
    phone: str = ""
    email: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def last_name(self) -> str:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def street_line(self) -> str:
        line = f"{self.street} {self.building_number}".strip()
        return f"{line}/{self.flat_number}" if self.flat_number else line


@dataclass(frozen=True)
class Parcel:
    weight_kg: Decimal
    length_cm: Decimal = Decimal("30")
    width_cm: Decimal = Decimal("20")
    height_cm: Decimal = Decimal("10")
    template: str | None = None  # a courier's named size, e.g. InPost "small"


@dataclass(frozen=True)
class ShipmentRequest:
    order_reference: str  # the shop's order number, printed on the label
    sender: Address
    recipient: Address
    parcels: tuple[Parcel, ...]
    idempotency_key: str  # sent as the courier's own reference, so a lost answer can be found
    service: str = ""
    currency: str = "PLN"
    # Only set when the order is paid on delivery; every other order must carry None.
    cod_amount: Decimal | None = None
    insured_value: Decimal | None = None
    pickup_point: str | None = None  # parcel locker / pickup point id at the recipient's end
    is_return: bool = False
    label_format: LabelFormat = "PDF_A6"
    # Our shipment row id: a unique, increasing number (own labels turn it into a tracking no).
    sequence: int = 0


@dataclass(frozen=True)
class ShipmentResult:
    carrier_shipment_id: str
    tracking_number: str | None
    tracking_url: str | None = None
    label: bytes | None = None
    label_format: LabelFormat = "PDF_A6"
    extra: dict[str, str] = field(default_factory=dict)


# Statuses after which a shipment's tracking no longer changes: the poll stops there.
FINAL_STATUSES = ("delivered", "returned", "cancelled")


@dataclass(frozen=True)
class TrackingEvent:
    """One scan in the courier's history, mapped onto our status."""

    status: str  # one of TRACKING_STATUSES
    courier_status: str  # the courier's own words (or code and words)
    at: str | None = None  # the courier's timestamp, as it wrote it
    location: str = ""


@dataclass(frozen=True)
class TrackingStatus:
    status: str  # one of TRACKING_STATUSES
    courier_status: str
    at: str | None = None
    # Oldest first; couriers that only report the latest status leave it empty.
    history: tuple[TrackingEvent, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What the shipping code asks a courier before acting (only what some caller reads)."""

    # Can a shipment be found by our reference after a lost answer (timeout)?
    lookup_by_reference: bool = False
    # Can the merchant order a courier to collect the day's parcels (``PickupOrdering``)?
    pickup_orders: bool = False
    # Does nothing leave the service (own labels)? Then a shipment is never half-made at a
    # courier, and there is no "requested" moment worth a commit of its own.
    local: bool = False


@dataclass(frozen=True)
class PickupRequest:
    """Collect the day's parcels from the shop's pickup address between two local times."""

    day: date
    parcels: int
    weight_kg: Decimal
    ready_from: str = "10:00"  # HH:MM
    ready_until: str = "17:00"


class Courier(Protocol):
    key: str
    capabilities: Capabilities

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult: ...

    def find_shipment(self, request: ShipmentRequest) -> ShipmentResult | None:
        """The shipment created earlier for this request's idempotency key, if any."""
        ...

    def get_labels(self, ids: list[str], label_format: LabelFormat) -> bytes: ...

    def track(self, tracking_number: str) -> TrackingStatus: ...

    def cancel(self, carrier_shipment_id: str) -> None: ...


class PickupOrdering(Protocol):
    """Couriers whose capabilities say ``pickup_orders`` also provide this."""

    def order_pickup(self, request: PickupRequest) -> str:
        """Ask for a collection; the courier's order reference (or its answer, in words)."""
        ...


@runtime_checkable
class LogsIn(Protocol):
    """Couriers that trade a password for a token that lasts (Sameday, FAN Courier, Cargus):
    the caller may hand in a token kept from an earlier job and hear of each new one."""

    token: str | None
    on_login: Callable[[str], None] | None
