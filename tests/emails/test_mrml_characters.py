from __future__ import annotations

import pytest

from app.emails.mrml_characters import (
    ASCII_NOT_IN_ATTRIBUTES,
    ASCII_NOT_IN_TEXT,
    Characters,
    written_as_they_are,
)


def test_the_ascii_characters_set_apart_are_those_mrml_rewrites_or_refuses() -> None:
    for code in range(128):
        character = chr(code)
        as_text, as_attribute = Characters.ask(character)

        assert as_text == (not ASCII_NOT_IN_TEXT.search(character)), repr(character)
        assert as_attribute == (not ASCII_NOT_IN_ATTRIBUTES.search(character)), repr(character)


@pytest.mark.parametrize(
    ("character", "as_text", "as_attribute"),
    [
        ("ș", True, True),
        ("Ł", True, True),
        ("·", True, True),
        ("\xa0", True, False),  # a no-break space: "\u{a0}" inside an attribute
        ("\u0301", True, False),  # a combining accent
        ("\x01", False, False),  # refused
    ],
)
def test_mrml_says_which_characters_it_writes_as_they_are(
    character: str, as_text: bool, as_attribute: bool
) -> None:
    assert Characters.ask(character) == (as_text, as_attribute)


def test_words_and_attributes_are_judged_each_by_their_own_place() -> None:
    price = "152,26\xa0zł"  # Babel's Polish price: a no-break space before the currency

    assert written_as_they_are(price, "https://shop.example/p/1?a=1&amp;b=2")
    assert written_as_they_are("Koszula", "Zoë & Łucja · Ștefan")
    assert not written_as_they_are("Koszula", price)
    assert not written_as_they_are("Koszula", "C:\\shop")
    assert not written_as_they_are("Koszula\x01", "")
