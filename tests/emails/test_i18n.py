from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from app.emails import i18n

AMOUNTS = ["0", "0.5", "9.99", "189", "1234.5", "12345.678", "1234567.891", "-45.5", "0.005"]


@pytest.mark.parametrize("locale", i18n.LOCALES)
@pytest.mark.parametrize("currency", ["PLN", "RON", "EUR", "HUF", "JPY", "USD"])
def test_money_reads_exactly_as_babel_writes_it(locale: str, currency: str) -> None:
    for amount in AMOUNTS:
        expected = format_currency(Decimal(amount), currency, locale=locale)
        assert i18n.format_money(amount, currency, locale) == expected, amount


def test_money_in_a_locale_with_other_grouping_falls_back_to_babel() -> None:
    assert i18n.format_money("1234567.5", "INR", "en_IN") == format_currency(
        Decimal("1234567.5"), "INR", locale="en_IN"
    )


def test_not_a_number_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not an amount of money"):
        i18n.format_money("twelve", "PLN", "pl")


def _entries(catalog: Any) -> dict[str, Any]:
    """msgid -> translation; a plural entry is keyed by its singular, with its forms as a tuple."""
    return {
        (m.id[0] if isinstance(m.id, list | tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in catalog
        if m.id
    }


def _pot() -> dict[str, Any]:
    with open(f"{i18n.TRANSLATIONS_DIR}/messages.pot", "rb") as pot_file:
        return _entries(read_po(pot_file))


@pytest.mark.parametrize("locale", ["pl", "ro"])
def test_committed_catalogs_are_complete_and_compiled(locale: str) -> None:
    """A fresh clone works without a build step only if the .mo matches the .po."""
    base = f"{i18n.TRANSLATIONS_DIR}/{locale}/LC_MESSAGES/messages"
    with open(f"{base}.po", "rb") as po_file, open(f"{base}.mo", "rb") as mo_file:
        po, mo = _entries(read_po(po_file)), _entries(read_mo(mo_file))
    assert po.keys() == _pot().keys()
    untranslated = [k for k, v in po.items() if not v or (isinstance(v, tuple) and not all(v))]
    assert untranslated == []
    assert po == mo


def test_every_string_in_the_templates_is_in_the_catalog_template() -> None:
    """A new or changed string must be extracted (pybabel extract, see babel.cfg) and translated."""
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.*", "jinja2")]
    options = {"**/templates/**.*": {"extensions": "jinja2.ext.i18n"}}
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            i18n.os.path.dirname(i18n.TRANSLATIONS_DIR), method_map, options
        )
    }
    assert found - _pot().keys() == set()
