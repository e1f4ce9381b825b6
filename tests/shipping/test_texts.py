"""Every sentence shipping shows exists in pl, ro and en, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from app.connectors.couriers.base import TRACKING_STATUSES, AddressMismatch
from app.shipping import texts

TABLES = {
    "STATUS_NAMES": texts.STATUS_NAMES,
    "PAGE": texts.PAGE,
    "PICKUP": texts.PICKUP,
    "LABELS": texts.LABELS,
    "LABEL_STATES": texts.LABEL_STATES,
    "ADDRESS_MISMATCH": texts.ADDRESS_MISMATCH,
}


def _fields(sentence: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(sentence) if name}


@pytest.mark.parametrize("name", TABLES)
def test_every_locale_has_every_sentence_with_the_same_placeholders(name):
    table = TABLES[name]
    assert set(table) == set(texts.LOCALES)
    for locale in texts.LOCALES:
        assert set(table[locale]) == set(table["en"]), (name, locale)
        for key, sentence in table[locale].items():
            assert _fields(sentence) == _fields(table["en"][key]), (name, locale, key)


def test_every_tracking_status_has_a_name():
    assert set(texts.STATUS_NAMES["en"]) == set(TRACKING_STATUSES)


def test_locale_falls_back_to_the_next_candidate_then_english():
    assert texts.locale_of("de-DE", "ro_RO") == "ro"
    assert texts.locale_of(None, "") == "en"
    error = AddressMismatch("cargus", "Arges", "X", county_known=False)
    assert texts.address_mismatch(error, "Cargus", "ro-RO").startswith("Cargus nu cunoaște județul")
