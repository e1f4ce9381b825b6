"""The carrier name a customer sees beside a tracking number: in our shipping email, on the
Shopify fulfillment and in the WooCommerce tracking entry or order note, the same everywhere."""

from __future__ import annotations

from app.models import Shipment, Shop

# Spelled as Shopify recognises them; for the others Shopify shows our name and link.
CARRIER_NAMES = {
    "inpost": "InPost",
    "sameday": "Sameday",
    "fan_courier": "FAN Courier",
    "cargus": "Cargus",
    "dpd": "DPD",
    "dhl": "DHL Express",
    "gls": "GLS",
    "ups": "UPS",
    "fedex": "FedEx",
}


def carrier_name(shop: Shop, shipment: Shipment) -> str:
    """The courier's name; for the shop's own labels (``own``) the shop is the carrier."""
    if shipment.courier == "own":
        return shop.name or shop.domain
    return CARRIER_NAMES.get(shipment.courier) or shipment.courier.replace("_", " ").title()
