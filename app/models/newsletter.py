"""Whether a shop asks new subscribers to confirm (double opt-in) before any marketing mail.

The choice is a setting of the welcome flow (``app/flows/welcome.py``): "country" (the default)
turns it on for shops in Germany and Austria, where courts want the confirmation as proof of
consent, and off elsewhere; "on" and "off" are the merchant's own choice. It applies while the
welcome flow is switched on: the flow is what sends the confirmation email, so without it a
sign-up would wait for a confirmation nobody asked for.
"""

from __future__ import annotations

import re

from app.models.base import db
from app.models.flows import flow_setting
from app.models.shops import Shop

WELCOME_FLOW_KEY = "welcome"
DOUBLE_OPT_IN_CHOICES = ("country", "on", "off")
# Countries whose shops confirm sign-ups by default (ISO 3166 alpha-2).
DOUBLE_OPT_IN_COUNTRIES = frozenset({"DE", "AT"})
# How a postal address names those countries, in their languages and ours.
_COUNTRY_NAMES = re.compile(
    r"\b(deutschland|germany|niemcy|germania|österreich|osterreich|austria)\b", re.IGNORECASE
)


def shop_country(shop: Shop) -> str | None:
    """The shop's country as well as we know it: the region of its locale ("de-AT"), a German
    locale without region (Germany), else a country named in its postal address."""
    parts = re.split(r"[-_]", shop.locale or "")
    if len(parts) > 1 and len(parts[1]) == 2:
        return parts[1].upper()
    found = _COUNTRY_NAMES.search(shop.legal_address.text)
    if found:
        name = found.group(1).lower()
        return "AT" if name in ("österreich", "osterreich", "austria") else "DE"
    return "DE" if parts[0].lower() == "de" else None


def double_opt_in_required(shop_id: int) -> bool:
    """True when a new "subscribed" must be confirmed by the shopper before it counts."""
    row = flow_setting(shop_id, WELCOME_FLOW_KEY)
    if row is None or not row.enabled:
        return False
    choice = (row.values or {}).get("double_opt_in", "country")
    if choice != "country":
        return bool(choice == "on")
    shop = db.session.get(Shop, shop_id)
    return shop is not None and shop_country(shop) in DOUBLE_OPT_IN_COUNTRIES


__all__ = [
    "DOUBLE_OPT_IN_CHOICES",
    "DOUBLE_OPT_IN_COUNTRIES",
    "WELCOME_FLOW_KEY",
    "double_opt_in_required",
    "shop_country",
]
