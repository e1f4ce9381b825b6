"""Checking a Romanian address against a courier's own locality list before asking for an AWB.

FAN Courier and Cargus refuse (or worse, misroute) a parcel whose county/locality pair is not
spelled as in their list. Shops write "Bucureşti", "Municipiul Cluj-Napoca", "jud. Iasi": compare
without diacritics (both cedilla and comma forms), case, and the usual prefixes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from app.connectors.couriers.base import Address, AddressMismatch

_PREFIXES = re.compile(r"^(judetul|judet|jud\.?|municipiul|mun\.?|orasul|oras|comuna|com\.?)\s+")
_SECTOR = re.compile(r"\bsector(ul)?\s*\d\b")


def normalise(name: str) -> str:
    """'Municipiul Bucureşti' and 'bucuresti' are the same place to a courier's list."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().strip()
    text = re.sub(r"[\s\-_.,]+", " ", text).strip()
    text = _SECTOR.sub("", text).strip()
    return _PREFIXES.sub("", text).strip()


def check(courier: str, address: Address, localities: Iterable[tuple[str, str]]) -> None:
    """Raise AddressMismatch unless (county, locality) is one of the courier's pairs."""
    county, city = normalise(address.county), normalise(address.city)
    known_counties: set[str] = set()
    for known_county, known_city in localities:
        county_key = normalise(known_county)
        known_counties.add(county_key)
        if county_key == county and normalise(known_city) == city:
            return
    raise AddressMismatch(
        courier, address.county, address.city, county_known=county in known_counties
    )
