"""Which language a shopper reads, and how money and dates look in it.

English is the source language of the templates; Polish and Romanian come from the gettext
catalogs in ``translations/`` (the compiled ``.mo`` files are committed, so a fresh clone
needs no build step; ``pybabel compile -d app/emails/translations`` refreshes them).
"""

from __future__ import annotations

import gettext
import os
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
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


def format_money(value: object, currency: str, locale: str) -> str:
    return format_currency(to_decimal(value), currency, locale=locale)


def format_when(value: datetime, locale: str, timezone: str = "UTC") -> str:
    return format_datetime(value, "d MMMM y, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale)
