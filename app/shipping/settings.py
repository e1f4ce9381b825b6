"""A shop's label settings: the courier, its credentials (encrypted), sender and defaults.

Declared with the same ``Setting`` mechanism flows use (``SHIPPING_SETTINGS``) and stored in a
``FlowSetting`` row of their own key, ``STORAGE_KEY``; every value is parsed against the
declaration before it is written, and ``load`` is the one reader. Courier credentials live in
the shop's encrypted ``credentials["couriers"][courier]``, never in the plain settings JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.connectors.couriers import COURIERS
from app.connectors.couriers.base import LABEL_FORMATS, Address, CourierError, Parcel
from app.flows.engine.definition import Setting, SettingError, parse_settings
from app.models import FlowSetting, Shop, ShopScope, db
from app.models.flows import add_flow_setting, flow_setting

# Not a flow: no flow may take this key (a test holds the registry to it).
STORAGE_KEY = "courier_labels"
FLOW_KEY = STORAGE_KEY  # the shipping notice's runs still carry it
# When shipments are created by themselves: on payment, on order creation, or only by hand.
TRIGGERS = ("paid", "created", "manual")
SENDER_PARTS = tuple(Address.__dataclass_fields__)
PARCEL_PARTS = ("weight_kg", "length_cm", "width_cm", "height_cm", "template")

SHIPPING_SETTINGS: tuple[Setting, ...] = (
    Setting("courier", "own", help="who carries the parcels", choices=tuple(sorted(COURIERS))),
    Setting("service", "", help="the courier's service code, when it has several"),
    Setting("trigger", "paid", help="when a shipment is created by itself", choices=TRIGGERS),
    Setting("label_format", "PDF_A6", help="label paper", choices=tuple(LABEL_FORMATS)),
    Setting("sender", {}, help="the address parcels are sent from", parts=SENDER_PARTS),
    Setting("parcel", {}, help="the usual parcel (kg, cm)", parts=PARCEL_PARTS),
    Setting("insure", False, help="insure parcels for the order's value"),
    Setting("tracking_prefix", "SF", help="start of our own tracking numbers"),
    Setting("sending_method", "parcel_locker", help="how InPost parcels are handed over"),
    # Off when the platform already mails the customer the tracking.
    Setting("shipping_email", True, help="email the customer the tracking link"),
)


class SettingsError(SettingError):
    """A label setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class LabelSettings:
    enabled: bool = False
    courier: str = "own"
    service: str = ""
    trigger: str = "paid"
    label_format: str = "PDF_A6"
    sender: dict[str, str] = field(default_factory=dict)
    parcel: dict[str, str] = field(default_factory=dict)
    insure: bool = False
    tracking_prefix: str = "SF"
    sending_method: str = "parcel_locker"
    # Our shipping email; off when the platform already mails the customer the tracking.
    shipping_email: bool = True

    def sender_address(self) -> Address:
        missing = [k for k in ("name", "street", "city", "postal_code") if not self.sender.get(k)]
        if missing:
            raise CourierError(f"sender address incomplete: set {', '.join(missing)}")
        known = set(Address.__dataclass_fields__)
        values = {k: str(v) for k, v in self.sender.items() if k in known}
        values.setdefault("country_code", "PL")
        return Address(**values)

    def default_parcel(self, weight_kg: Decimal | None = None) -> Parcel:
        values = {k: Decimal(str(v)) for k, v in self.parcel.items() if k.endswith(("_cm", "_kg"))}
        if weight_kg is not None:
            values["weight_kg"] = weight_kg
        values.setdefault("weight_kg", Decimal("1"))
        return Parcel(template=self.parcel.get("template") or None, **values)

    def as_values(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("enabled")
        return values


def _validate(settings: LabelSettings) -> dict[str, Any]:
    """The stored values, parsed against ``SHIPPING_SETTINGS``; SettingsError names each bad one."""
    try:
        values = parse_settings(STORAGE_KEY, SHIPPING_SETTINGS, settings.as_values())
    except SettingError as exc:
        raise SettingsError(f"invalid label settings: {', '.join(exc.keys)} ({exc})") from None
    try:
        settings.default_parcel()
    except (InvalidOperation, TypeError) as exc:
        raise SettingsError(f"invalid parcel defaults: {exc}") from None
    return values


def load(shop_id: int) -> LabelSettings:
    row = flow_setting(shop_id, STORAGE_KEY)
    if row is None:
        return LabelSettings()
    # Stored values were parsed when saved; keys no longer declared are left behind.
    known = {s.key for s in SHIPPING_SETTINGS}
    return LabelSettings(enabled=row.enabled, **{k: v for k, v in row.values.items() if k in known})


def save(shop_id: int, settings: LabelSettings, credentials: dict[str, Any] | None = None) -> None:
    """Store settings (and the courier's credentials, encrypted); the caller commits."""
    values = _validate(settings)
    scope = ShopScope(shop_id)
    row = scope.first(FlowSetting, FlowSetting.flow_key == STORAGE_KEY)
    if row is None:
        row = add_flow_setting(shop_id, STORAGE_KEY)
    row.enabled = settings.enabled
    row.values = values
    if credentials is not None:
        shop = db.session.get(Shop, shop_id)
        if shop is None:
            raise SettingsError(f"no shop {shop_id}")
        stored = dict(shop.credentials)
        stored["couriers"] = {**stored.get("couriers", {}), settings.courier: credentials}
        shop.credentials = stored


def courier_credentials(shop: Shop, courier: str) -> dict[str, Any]:
    return dict(shop.credentials.get("couriers", {}).get(courier, {}))
