"""Courier adapters behind one interface, registered in one dict.

``build(key, settings, credentials)`` makes the adapter a shop's label settings name; the
credentials are the decrypted ``shop.credentials["couriers"][key]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.connectors.couriers import cargus, fancourier
from app.connectors.couriers.base import Courier, CourierError
from app.connectors.couriers.inpost import InPost
from app.connectors.couriers.own import OwnLabels
from app.connectors.couriers.sameday import Sameday
from app.connectors.couriers.sameday.mapping import Account


def _own(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    return OwnLabels(
        prefix=settings.get("tracking_prefix", "SF"), tracking_url=settings.get("tracking_url", "")
    )


def _inpost(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    return InPost(
        token=_required(credentials, "token", "inpost"),
        organization_id=str(_required(credentials, "organization_id", "inpost")),
        sandbox=bool(credentials.get("sandbox", False)),
        sending_method=settings.get("sending_method", "parcel_locker"),
    )


def _sameday(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    account = Account(
        pickup_point_id=int(_required(credentials, "pickup_point_id", "sameday")),
        service_id=int(credentials.get("service_id") or settings.get("service") or 7),
        contact_person_id=credentials.get("contact_person_id"),
    )
    return Sameday(
        username=_required(credentials, "username", "sameday"),
        password=_required(credentials, "password", "sameday"),
        account=account,
        sandbox=bool(credentials.get("sandbox", False)),
        token=credentials.get("token"),
    )


def _fan_courier(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    account = fancourier.mapping.Account(
        client_id=int(_required(credentials, "client_id", "fan_courier")),
        bank=str(credentials.get("bank") or ""),
        iban=str(credentials.get("iban") or ""),
    )
    return fancourier.FanCourier(
        username=_required(credentials, "username", "fan_courier"),
        password=_required(credentials, "password", "fan_courier"),
        account=account,
        token=credentials.get("token"),
        api=settings.get("fan_courier_url") or fancourier.API,
    )


def _cargus(settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    account = cargus.mapping.Account(
        pickup_location_id=int(_required(credentials, "pickup_location_id", "cargus")),
        price_table_id=int(credentials.get("price_table_id") or 0),
    )
    return cargus.Cargus(
        subscription_key=_required(credentials, "subscription_key", "cargus"),
        username=_required(credentials, "username", "cargus"),
        password=_required(credentials, "password", "cargus"),
        account=account,
        token=credentials.get("token"),
        api=settings.get("cargus_url") or cargus.API,
    )


def _required(credentials: Mapping[str, Any], name: str, courier: str) -> Any:
    value = credentials.get(name)
    if not value:
        raise CourierError(f"{courier}: credential {name!r} is not set in the label settings")
    return value


COURIERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Courier]] = {
    "own": _own,
    "inpost": _inpost,
    "sameday": _sameday,
    "fan_courier": _fan_courier,
    "cargus": _cargus,
}


def build(key: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> Courier:
    factory = COURIERS.get(key)
    if factory is None:
        raise CourierError(f"unknown courier {key!r}; known: {', '.join(sorted(COURIERS))}")
    return factory(settings, credentials)
