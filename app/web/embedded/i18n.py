"""The merchant page's language: the admin's, then the shop's; money and dates the shop's way.

The page has its own gettext domain, ``page`` (catalogs in ``translations/``, compiled ``.mo``
committed like the emails'; see ``babel.cfg`` beside this file for the workflow). English is the
source language.

Which language: the shop admin's own, as the platform tells us on the first load (Shopify adds
``locale`` to the app's address; the WordPress plugin adds the admin user's ``locale``), carried
on each later request by ``page.js`` in ``X-Storeflow-Locale`` (there is no cookie to keep it);
else the shop's language; else English.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from babel.support import Translations
from flask import request

from app.emails.i18n import LOCALES, format_money, resolve_locale
from app.models import Shop

DOMAIN = "page"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")
LOCALE_HEADER = "X-Storeflow-Locale"


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    if locale == "en":
        return gettext.NullTranslations()
    loaded = Translations.load(TRANSLATIONS_DIR, [locale], domain=DOMAIN)
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled page catalog for {locale!r} in {TRANSLATIONS_DIR}")
    return loaded


def page_locale(shop: Shop) -> str:
    """The admin's language when the platform said it (this request or the page's first
    load), else the shop's."""
    said = request.headers.get(LOCALE_HEADER) or request.args.get("locale")
    return resolve_locale(said, shop.locale)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class Words:
    """What a template needs to speak the merchant's language: ``_``/``ngettext`` and the
    shop's way of writing money, numbers and times (its currency, its timezone)."""

    locale: str
    currency: str
    timezone: str

    @property
    def _t(self) -> gettext.NullTranslations:
        return translations(self.locale)

    def _(self, message: str, **values: object) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": self.number(n), **values}

    def money(self, value: Decimal | float | int) -> str:
        return format_money(value, self.currency, self.locale)

    def number(self, value: Decimal | float | int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return format_datetime(
            value, "d MMM y, HH:mm", tzinfo=_zone(self.timezone), locale=self.locale
        )

    def day(self, value: date) -> str:
        return format_date(value, "d MMM", locale=self.locale)

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


def words_for(shop: Shop) -> Words:
    return Words(page_locale(shop), shop.currency or "EUR", shop.timezone or "UTC")
