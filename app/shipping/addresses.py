"""Order facts a courier needs: the recipient, the parcel weight, cash on delivery.

Connectors hand us the platform's shipping address as it came: Shopify writes ``address1`` and
``zip``, WooCommerce ``address_1`` and ``postcode``. One alias table reads both.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.connectors.couriers.base import Address, CourierError
from app.models import Order, ShopScope, Variant

ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "company": ("company",),
    "street": ("street", "address1", "address_1"),
    "street2": ("address2", "address_2"),
    "building_number": ("building_number",),
    "flat_number": ("flat_number",),
    "city": ("city",),
    "postal_code": ("postal_code", "zip", "postcode"),
    "country_code": ("country_code", "country"),
    "county": ("county", "province", "state"),
    "phone": ("phone",),
    "pickup_point": ("pickup_point", "locker_id", "target_point"),
}


def _read(address: dict[str, Any]) -> dict[str, str]:
    return {
        key: next((str(address[n]).strip() for n in names if address.get(n)), "")
        for key, names in ALIASES.items()
    }


def recipient(order: Order) -> Address:
    """The order's shipping address as a courier address; a clear error names what is missing."""
    values = _read(order.shipping_address or {})
    name = values["name"] or f"{values['first_name']} {values['last_name']}".strip()
    street = ", ".join(part for part in (values["street"], values["street2"]) if part)
    missing = [k for k, v in (("name", name), ("street", street)) if not v]
    missing += [k for k in ("city", "postal_code") if not values[k]]
    if missing:
        raise CourierError(f"shipping address incomplete: {', '.join(missing)} missing")
    return Address(
        name=name,
        company=values["company"],
        street=street,
        building_number=values["building_number"],
        flat_number=values["flat_number"],
        city=values["city"],
        postal_code=values["postal_code"],
        country_code=(values["country_code"] or "PL").upper()[:2],
        county=values["county"],
        phone=values["phone"],
        email=order.email or "",
    )


def pickup_point(order: Order) -> str | None:
    return _read(order.shipping_address or {})["pickup_point"] or None


def cod_amount(order: Order) -> Decimal | None:
    """Cash on delivery only for orders the customer pays on delivery; None for all others."""
    return Decimal(order.total) if order.is_cod else None


def weight_kg(shop_id: int, order: Order) -> Decimal | None:
    """The order's weight from product weights, or None when any item's weight is unknown."""
    ids = [str(item.get("variant_id")) for item in order.items if item.get("variant_id")]
    if not ids or len(ids) != len(order.items):
        return None
    variants = ShopScope(shop_id).all(Variant, Variant.platform_variant_id.in_(ids))
    grams = {v.platform_variant_id: v.weight_grams or 0 for v in variants}
    if any(not grams.get(i) for i in ids):
        return None
    total = 0
    for item in order.items:
        total += grams[str(item["variant_id"])] * int(item.get("quantity", 1))
    return (Decimal(total) / 1000).quantize(Decimal("0.001"))
