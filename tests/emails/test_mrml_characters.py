from __future__ import annotations

import pytest

from app.emails.mrml_characters import Characters, written_as_they_are


def test_among_ascii_mrml_rewrites_or_refuses_only_controls_and_markup() -> None:
    not_as_text = {c for c in map(chr, range(128)) if not Characters.ask(c)[0]}
    not_as_attribute = {c for c in map(chr, range(128)) if not Characters.ask(c)[1]}

    controls = {chr(code) for code in range(32)}
    assert not_as_text == controls - {"\t", "\n", "\r"} | {"<"}
    assert not_as_attribute == controls | {"\\", "\x7f", "<", '"'}


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


def test_a_first_text_of_only_rewritten_characters_is_judged_so() -> None:
    characters = Characters()

    assert not characters.written_as_they_are("\xa0", attribute=True)
    assert not characters.written_as_they_are("\xa0\xa0", attribute=True)
    assert characters.written_as_they_are("\xa0", attribute=False)
