"""Which language a shopper reads, and how money and dates look in it.

English is the source language of the templates; Polish and Romanian come from the gettext
catalogs in ``translations/`` (the compiled ``.mo`` files are committed, so a fresh clone
needs no build step; ``pybabel compile -d app/emails/translations`` refreshes them).
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.support import Translations

LOCALES = ("en", "pl", "ro")
DEFAULT_LOCALE = "en"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")


def resolve_locale(*candidates: str | None) -> str:
    """The first candidate we have templates for (``pl_PL`` and ``pl-PL`` count as ``pl``).

    Flows pass the customer's locale first, then the shop's.
    """
    for candidate in candidates:
        if not candidate:
            continue
        language = candidate.replace("-", "_").split("_", 1)[0].strip().lower()
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; choose one of {', '.join(LOCALES)}")
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    loaded = Translations.load(TRANSLATIONS_DIR, [locale], domain="messages")
    if not isinstance(loaded, Translations):
        # Translations.load falls back silently; a missing catalog must fail loudly instead.
        raise FileNotFoundError(f"no compiled catalog for {locale!r} in {TRANSLATIONS_DIR}")
    return loaded


def to_decimal(value: object) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {value!r}") from None


@dataclass(frozen=True)
class _MoneyFormat:
    """A locale's currency pattern, resolved once: Babel's own formatting costs ~0.3 ms a call,
    which was most of an email's render time (a cart shows up to a dozen prices)."""

    prefixes: tuple[str, str]
    suffixes: tuple[str, str]
    decimal: str
    group: str
    exponent: Decimal


@cache
def _money_format(currency: str, locale: str) -> _MoneyFormat | None:
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    if pattern.grouping != (3, 3):
        return None  # e.g. Indian grouping: leave it to Babel
    symbol = get_currency_symbol(currency, parsed)
    return _MoneyFormat(
        prefixes=(pattern.prefix[0].replace("¤", symbol), pattern.prefix[1].replace("¤", symbol)),
        suffixes=(pattern.suffix[0].replace("¤", symbol), pattern.suffix[1].replace("¤", symbol)),
        decimal=get_decimal_symbol(parsed),
        group=get_group_symbol(parsed),
        exponent=Decimal(1).scaleb(-get_currency_precision(currency)),
    )


def format_money(value: object, currency: str, locale: str) -> str:
    """The amount as Babel's ``format_currency`` writes it (tests hold the two equal)."""
    amount = to_decimal(value)
    fmt = _money_format(currency, locale)
    if fmt is None:
        return format_currency(amount, currency, locale=locale)
    rounded = amount.quantize(fmt.exponent, rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    number = f"{int(whole):,}".replace(",", fmt.group) + (
        fmt.decimal + fraction if fraction else ""
    )
    negative = int(rounded < 0)
    return fmt.prefixes[negative] + number + fmt.suffixes[negative]


def format_when(value: datetime, locale: str, timezone: str = "UTC") -> str:
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale)
