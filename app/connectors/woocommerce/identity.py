"""The store's identity as WooCommerce's general settings give it: its postal address (the one
every marketing email must carry) and its currency.

``settings/general`` answers a list of settings (``{"id": ..., "value": ...}``); the ids are
WooCommerce's option names (``woocommerce_store_address``, ``woocommerce_default_country`` as
``PL`` or ``US:CA``...). What the merchant already typed on our page is kept: the store only
fills what is empty, except the currency, which is the store's to say.
"""

from __future__ import annotations

from typing import Any

from app.models import Shop
from app.models.shop_settings import LegalAddress

_ADDRESS_PARTS = ("woocommerce_store_address", "woocommerce_store_address_2")


def _values(settings: Any) -> dict[str, str]:
    if not isinstance(settings, list):
        return {}
    return {
        str(row.get("id")): str(row.get("value") or "").strip()
        for row in settings
        if isinstance(row, dict)
    }


def store_address(values: dict[str, str]) -> str:
    """One line: street, postcode and city, country (empty when the store has no street)."""
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
    country = values.get("woocommerce_default_country", "").split(":")[0]
    return ", ".join(part for part in (street, town, country) if part)


def apply_store_identity(shop: Shop, settings: Any) -> None:
    values = _values(settings)
    currency = values.get("woocommerce_currency", "")
    if len(currency) == 3 and currency.isalpha():
        shop.currency = currency.upper()
    address = store_address(values)
    if address and not shop.legal_address.is_set:
        shop.legal_address = LegalAddress(address)
