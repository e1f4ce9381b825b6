"""A shop's label settings: the courier, its credentials (encrypted), sender and defaults.

Stored as the ``courier_labels`` flow setting; courier credentials live in the shop's
encrypted ``credentials["couriers"][courier]``, never in the plain settings JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.connectors.couriers import COURIERS
from app.connectors.couriers.base import LABEL_FORMATS, Address, CourierError, Parcel
from app.models import FlowSetting, Shop, ShopScope, db

FLOW_KEY = "courier_labels"
# When shipments are created by themselves: on payment, on order creation, or only by hand.
TRIGGERS = ("paid", "created", "manual")


class SettingsError(ValueError):
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


def _validate(settings: LabelSettings) -> None:
    checks = {
        "courier": settings.courier in COURIERS,
        "trigger": settings.trigger in TRIGGERS,
        "label_format": settings.label_format in LABEL_FORMATS,
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise SettingsError(f"invalid label settings: {', '.join(bad)}")
    try:
        settings.default_parcel()
    except (InvalidOperation, TypeError) as exc:
        raise SettingsError(f"invalid parcel defaults: {exc}") from None


def load(shop_id: int) -> LabelSettings:
    row = ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == FLOW_KEY)
    if row is None:
        return LabelSettings()
    known = set(LabelSettings.__dataclass_fields__) - {"enabled"}
    return LabelSettings(enabled=row.enabled, **{k: v for k, v in row.values.items() if k in known})


def save(shop_id: int, settings: LabelSettings, credentials: dict[str, Any] | None = None) -> None:
    """Store settings (and the courier's credentials, encrypted); the caller commits."""
    _validate(settings)
    scope = ShopScope(shop_id)
    row = scope.first(FlowSetting, FlowSetting.flow_key == FLOW_KEY)
    if row is None:
        row = scope.add(FlowSetting(flow_key=FLOW_KEY))
    row.enabled = settings.enabled
    row.values = settings.as_values()
    if credentials is not None:
        shop = db.session.get(Shop, shop_id)
        if shop is None:
            raise SettingsError(f"no shop {shop_id}")
        stored = dict(shop.credentials)
        stored["couriers"] = {**stored.get("couriers", {}), settings.courier: credentials}
        shop.credentials = stored


def courier_credentials(shop: Shop, courier: str) -> dict[str, Any]:
    return dict(shop.credentials.get("couriers", {}).get(courier, {}))
