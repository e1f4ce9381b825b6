"""The email editor's words in the merchant's language (Babel catalogs, domain ``editor``).

English is the source; Polish and Romanian come from ``translations/<locale>/LC_MESSAGES/
editor.po`` (compiled ``.mo`` committed). Refreshing them, from the project root:
    pybabel extract -F app/web/embedded/babel-editor.cfg --no-location --omit-header \\
        -o app/web/embedded/translations/editor.pot app/web
    pybabel update -D editor -i app/web/embedded/translations/editor.pot \\
        -d app/web/embedded/translations -w 100
    pybabel compile -D editor -d app/web/embedded/translations
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable
from functools import cache

from babel.support import Translations

from app.emails.i18n import DEFAULT_LOCALE, LOCALES
from app.emails.merchant_copy import FILTERS, CopyError

TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")
Gettext = Callable[..., str]


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated where it is shown."""
    return msgid


FLOW_NAMES = {
    "abandoned_cart": N_("Abandoned cart reminders"),
    "cross_sell": N_("Products that go with an order"),
    "reactivation": N_("Win back customers who stopped buying"),
    "browse_abandonment": N_("Looked but did not buy"),
    "welcome": N_("Welcome new subscribers"),
    "birthday": N_("Birthday wishes"),
    "replenishment": N_("Time to buy again"),
}
FIELD_LABELS = {
    "subject": N_("Subject"),
    "preheader": N_("Preheader (shown after the subject in the inbox)"),
    "headline": N_("Heading"),
    "intro": N_("Body text"),
    "cta": N_("Button text"),
}
VARIABLE_LABELS = {
    "first_name": N_("First name"),
    "shop_name": N_("Shop name"),
    "cart_total": N_("Cart total"),
    "discount_code": N_("Discount code"),
    "discount_percent": N_("Discount percentage"),
    "discount_expiry": N_("Code valid until"),
}
BRAND_LABELS = {
    "logo_url": N_("Logo (its https:// address)"),
    "primary_color": N_("Accent colour (button, shop name)"),
    "sender_name": N_("Sender name"),
    "sender_email": N_("Sender email address (empty: we send it for you)"),
    "address": N_("Postal address (at the bottom of every email)"),
}
LANGUAGES = {"pl": "Polski", "ro": "Română", "en": "English"}  # each in its own language
_REASONS = {
    "required": N_("this field cannot be empty"),
    "too_long": N_("too long: at most %(detail)s characters"),
    "unclosed_tag": N_("“%(detail)s” is opened here but never closed"),
    "unclosed_block": N_("“{%% %(detail)s %%}” is opened here but never closed"),
    "unknown_variable": N_("unknown variable “%(detail)s”; this email has: %(allowed)s"),
    "not_allowed": N_(
        "“%(detail)s” is not allowed here; use the variables, the filters %(filters)s and "
        "{%% if %%} … {%% else %%} … {%% endif %%}"
    ),
    "syntax": N_("broken template: %(detail)s"),
}


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    loaded = Translations.load(TRANSLATIONS_DIR, [locale], domain="editor")
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled editor catalog for {locale!r}")
    return loaded


def gettext_for(locale: str) -> Gettext:
    """``_(msgid, **values)``: translated, then filled in (``%(name)s``)."""
    translations = _translations(locale if locale in LOCALES else DEFAULT_LOCALE)

    def translate(msgid: str, **values: object) -> str:
        text = translations.gettext(msgid)
        return text % values if values or "%%" in msgid else text

    return translate


def refusal(_: Gettext, error: CopyError, allowed: tuple[str, ...]) -> str:
    """One refused field in the merchant's words, with where it went wrong."""
    reason = _(
        _REASONS.get(error.kind, _REASONS["syntax"]),
        detail=error.detail,
        allowed=", ".join("{{ " + name + " }}" for name in allowed),
        filters=", ".join(sorted(FILTERS)),
    )
    return _(
        "%(field)s, line %(line)s, column %(column)s: %(reason)s",
        field=_(FIELD_LABELS[error.field]),
        line=error.line,
        column=error.column,
        reason=reason,
    )
