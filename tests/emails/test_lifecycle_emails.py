"""The birthday and replenishment emails in Polish, Romanian and English: their words, the gift
code and the products to buy again, our default text as the merchant's editable text rendering
the very same email, and the editor opening for both flows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.emails.merchant_copy import check, variables_for
from app.emails.merchant_defaults import default_copy
from app.emails.rendering import render_email
from app.models import EDITABLE_FIELDS

GIFT = {"code": "BDAY-7Q2KXW3M", "percentage": 15, "expires_at": datetime(2026, 12, 4, tzinfo=UTC)}
COFFEE = {
    "title": "Coffee beans",
    "url": "https://demo.example/products/coffee",
    "image_url": None,
    "unit_price": "39.00",
}


def _birthday(make: Any, first_name: str = "Ola", gift: bool = True) -> dict[str, Any]:
    return make(customer={"first_name": first_name}, items=[], discount=GIFT if gift else None)


def _refill(make: Any, first_name: str = "Ola") -> dict[str, Any]:
    blocks = [{"kind": "buy_again", "products": [COFFEE]}]
    return make(customer={"first_name": first_name}, items=[], blocks=blocks)


@pytest.mark.parametrize(
    ("locale", "subject", "words"),
    [
        ("pl", "Wszystkiego najlepszego, Ola! Prezent od Demo Boutique", "15% rabatu"),
        ("ro", "La mulți ani, Ola! Un cadou de la Demo Boutique", "reducere de 15%"),
        ("en", "Happy birthday, Ola! A gift from Demo Boutique", "15% off a treat"),
    ],
)
def test_the_birthday_email_wishes_and_gives_the_code(email_context, locale, subject, words):
    email = render_email("birthday", _birthday(email_context), locale)
    assert email.subject == subject
    assert words in email.text and "BDAY-7Q2KXW3M" in email.text and "BDAY-7Q2KXW3M" in email.html


def test_without_a_code_the_birthday_email_only_wishes(email_context):
    email = render_email("birthday", _birthday(email_context, first_name="", gift=False), "pl")
    assert email.subject == "Wszystkiego najlepszego!"
    assert "rabatu" not in email.text and "BDAY-" not in email.text


@pytest.mark.parametrize(
    ("locale", "subject", "heading"),
    [
        ("pl", "Kończą się zapasy? Czas je uzupełnić", "Czas uzupełnić zapasy"),
        ("ro", "Ți se termină? E timpul să îți refaci rezervele", "E timpul să îți refaci"),
        ("en", "Running low? Time to stock up", "Time to stock up"),
    ],
)
def test_the_replenishment_email_shows_the_products_with_their_links(
    email_context, locale, subject, heading
):
    email = render_email("replenishment", _refill(email_context), locale)
    assert email.subject == subject
    assert heading in email.text and "Coffee beans" in email.text
    assert 'href="https://demo.example/products/coffee"' in email.html


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
@pytest.mark.parametrize("first_name", ["Ola", ""])
@pytest.mark.parametrize("template", ["birthday", "replenishment"])
def test_our_default_as_editable_text_renders_the_very_same_email(
    email_context, template, locale, first_name
):
    context = (
        _birthday(email_context, first_name)
        if template == "birthday"
        else _refill(email_context, first_name)
    )
    defaults = default_copy(template, locale)
    assert set(defaults) == set(EDITABLE_FIELDS)
    assert render_email(template, context, locale, defaults) == render_email(
        template, context, locale
    )
    for field, text in defaults.items():
        check(field, text, variables_for(template))


def test_the_editor_opens_for_both_flows(merchant, shop):
    for key, name in (
        ("birthday", "Życzenia urodzinowe"),
        ("replenishment", "Czas kupić ponownie"),
    ):
        page = merchant(shop).get(f"/embedded/flows/{key}/emails")
        assert page.status_code == 200 and name in page.get_data(as_text=True)
