"""The store's identity: its postal address (the one every marketing email must carry) and
currency from WooCommerce's general settings; its name and timezone from WordPress's public
REST index; its language from WooCommerce's system status.

``settings/general`` answers a list of settings (``{"id": ..., "value": ...}``); the ids are
WooCommerce's option names (``woocommerce_store_address``, ``woocommerce_default_country`` as
``PL`` or ``US:CA``...). What the merchant typed on our page is kept; an address the store gave
follows the store. Read at connect (with the keys being proven) and once a day by the
reconcile, so a store that changes its name, address, currency, timezone or language is
followed within a day.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from babel import Locale, UnknownLocaleError

from app.connectors.woocommerce.client import StoreApiError, StoreClient, site_index
from app.logs import fields as log_fields
from app.models import Shop
from app.models.shop_settings import LegalAddress

log = logging.getLogger(__name__)

# The languages our emails speak; a store in any other gets English.
LANGUAGES = ("pl", "ro", "en")

_ADDRESS_PARTS = ("woocommerce_store_address", "woocommerce_store_address_2")


def _values(settings: Any) -> dict[str, str]:
    if not isinstance(settings, list):
        return {}
    return {
        str(row.get("id")): str(row.get("value") or "").strip()
        for row in settings
        if isinstance(row, dict)
    }


def store_address(values: dict[str, str], language: str = "en") -> str:
    """One line: street, postcode and city, country (empty when the store has no street). The
    country by its name in the store's language (``PL`` is "Polska" in a Polish store): the
    line is the sender's address in the footer of every email, read by people, not parsers."""
    street = ", ".join(v for v in (values.get(k, "") for k in _ADDRESS_PARTS) if v)
    if not street:
        return ""
    town = " ".join(
        v
        for v in (
            values.get("woocommerce_store_postcode", ""),
            values.get("woocommerce_store_city", ""),
        )
        if v
    )
    country = _country_name(values.get("woocommerce_default_country", "").split(":")[0], language)
    return ", ".join(part for part in (street, town, country) if part)


def _country_name(code: str, language: str) -> str:
    """``PL`` in ``pl`` is "Polska"; a code babel does not know stays as it is."""
    if not code:
        return ""
    try:
        return str(Locale.parse(language).territories.get(code.upper(), code))
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def apply_store_identity(shop: Shop, settings: Any) -> None:
    """Currency and address from ``settings/general``; the country named in the shop's
    language (``apply_site_identity`` reads it first)."""
    values = _values(settings)
    currency = values.get("woocommerce_currency", "")
    if len(currency) == 3 and currency.isalpha():
        shop.currency = currency.upper()
    address = store_address(values, shop.locale or "en")
    held = shop.legal_address
    if address and (not held.is_set or held.from_store):
        shop.legal_address = LegalAddress(address, from_store=True)


def _timezone(index: dict[str, Any]) -> str | None:
    """WordPress's ``timezone_string`` (a city), else its whole-hour ``gmt_offset``."""
    name = str(index.get("timezone_string") or "")
    try:
        if name:
            ZoneInfo(name)
            return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    try:
        offset = float(index.get("gmt_offset") or 0)
    except (TypeError, ValueError):
        return None
    if not offset.is_integer():
        return None  # a half-hour offset has no Etc/ zone; keep what we have
    # Etc/GMT-2 is two hours *ahead* of UTC (POSIX signs are inverted).
    return "UTC" if offset == 0 else f"Etc/GMT{-int(offset):+d}"


def apply_site_identity(shop: Shop, index: dict[str, Any], language: str | None) -> None:
    """The store's own name, timezone and language (``pl_PL`` -> ``pl``)."""
    name = html.unescape(str(index.get("name") or "")).strip()
    if name:
        shop.name = name[:255]
    timezone = _timezone(index)
    if timezone:
        shop.timezone = timezone
    code = str(language or "").split("_")[0].lower()
    if code:
        shop.locale = code if code in LANGUAGES else "en"


@dataclass(frozen=True)
class StoreIdentity:
    """What the store says about itself: ``settings/general`` (address, currency), WordPress's
    REST index (name, timezone) and the store's language (``pl_PL``)."""

    general: Any = None
    index: dict[str, Any] = field(default_factory=dict)
    language: str | None = None

    def apply_to(self, shop: Shop) -> None:
        apply_site_identity(shop, self.index, self.language)  # the language first: see below
        apply_store_identity(shop, self.general)


def read_identity(shop: Shop, keys: dict[str, str] | None = None) -> StoreIdentity:
    """Ask the store (with ``keys``, or the shop's own). ``settings/general`` must answer (it
    raises ``StoreApiError`` otherwise: the keys are refused, or the store is down); name,
    timezone and language are helpful, not required, so a store hiding them still answers."""
    general = StoreClient(shop, keys=keys).call("GET", "settings/general")
    return StoreIdentity(general=general, index=_site_index(shop), language=_language(shop, keys))


def _site_index(shop: Shop) -> dict[str, Any]:
    try:
        return site_index(shop)
    except (StoreApiError, requests.RequestException, ValueError):
        log.info("store's REST index not readable", extra=log_fields(shop=shop.id))
        return {}


def _language(shop: Shop, keys: dict[str, str] | None) -> str | None:
    try:
        status = StoreClient(shop, keys=keys).call("GET", "system_status", _fields="environment")
        return (status.get("environment") or {}).get("language")
    except (StoreApiError, requests.RequestException, ValueError, AttributeError):
        log.info("store's system status not readable", extra=log_fields(shop=shop.id))
        return None
