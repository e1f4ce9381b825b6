"""The merchant's email text: our defaults as editable text, the sandbox and its whitelist,
the place of each error, and what stays out of the merchant's reach."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from app.emails.merchant_copy import CopyError, check, render_copy, variables_for
from app.emails.merchant_defaults import default_copy
from app.emails.rendering import render_email
from app.models import EDITABLE_FIELDS

EDITABLE_TEMPLATES = (
    "abandoned_cart_1",
    "abandoned_cart_2",
    "abandoned_cart_3",
    "cross_sell",
    "reactivation_1",
    "reactivation_2",
    "price_drop",
    "back_in_stock",
)
DISCOUNT = {
    "code": "WRACAJ-7Q2K",
    "percentage": 10,
    "expires_at": datetime(2026, 11, 25, 17, tzinfo=UTC),
}


def _context(make: Callable[..., dict[str, Any]], template: str, first_name: str) -> dict:
    discount = DISCOUNT if template in ("abandoned_cart_3", "reactivation_2") else None
    return make(customer={"first_name": first_name}, discount=discount)


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
@pytest.mark.parametrize("template", EDITABLE_TEMPLATES)
@pytest.mark.parametrize("first_name", ["Ola", ""])
def test_our_default_as_editable_text_renders_the_very_same_email(
    email_context, template, locale, first_name
):
    context = _context(email_context, template, first_name)
    defaults = default_copy(template, locale)

    ours = render_email(template, context, locale)
    as_merchant_text = render_email(template, context, locale, defaults)

    assert set(defaults) == set(EDITABLE_FIELDS)
    assert as_merchant_text == ours
    for field, text in defaults.items():
        check(field, text, variables_for(template))  # the prefill passes its own check


def test_reactivation_default_keeps_both_texts_for_with_and_without_a_code():
    subject = default_copy("reactivation_2", "pl")["subject"]
    assert subject == (
        "{% if discount_code %}Wróć po {{ discount_percent }}% rabatu"
        "{% else %}Pozdrawiamy Cię jeszcze raz{% endif %}"
    )


def test_merchant_text_replaces_ours_with_the_recipients_values(email_context):
    copy = {
        "subject": "{{ first_name|upper }}, {{ discount_percent }}% na {{ cart_total }}",
        "intro": "Kod {{ discount_code }} ważny do {{ discount_expiry }}.\nDo zobaczenia!",
        "cta": "Do koszyka",
    }
    context = email_context(discount=DISCOUNT)

    email = render_email("abandoned_cart_3", context, "pl", copy)

    assert email.subject == "OLA, 10% na 477,00 zł"
    assert "Kod WRACAJ-7Q2K ważny do 25 listopada 2026, 18:00.<br />Do zobaczenia!" in email.html
    assert "Do koszyka" in email.html and "Do koszyka" in email.text
    assert "Kod WRACAJ-7Q2K" in email.text


def test_merchant_markup_is_shown_as_text_and_the_footer_and_unsubscribe_link_stay(
    email_context,
):
    copy = {field: "" for field in EDITABLE_FIELDS}
    copy.update(subject="Hi", headline="<b>Hi</b>", cta="Go", intro='<a href="x">x</a>')

    email = render_email("abandoned_cart_1", email_context(), "en", copy)

    assert "<b>Hi</b>" not in email.html and "&lt;b&gt;Hi&lt;/b&gt;" in email.html
    assert '<a href="x">' not in email.html
    assert "ul. Prosta 1, 00-001 Warszawa" in email.html  # the legal footer
    assert "https://storeflow.test/u/TOKEN" in email.html  # the unsubscribe link
    assert "https://storeflow.test/u/TOKEN" in email.text


@pytest.mark.parametrize(
    ("text", "kind", "line", "column", "detail"),
    [
        ("Hi {{ frist_name }}", "unknown_variable", 1, 7, "frist_name"),
        ("Hi\n  {{ first_name ", "unclosed_tag", 2, 3, "{{"),
        ("Hi {% if first_name %}there", "unclosed_block", 1, 4, "if"),
        ("ok\nHi {{ first_name | }}", "syntax", 2, 4, "expected token 'name'"),
        ("Hi {{ shop_name.__class__ }}", "not_allowed", 1, 4, "."),
        ("{{ shop_name.upper() }}", "not_allowed", 1, 1, "( )"),
        ("{% for x in shop_name %}{{ x }}{% endfor %}", "not_allowed", 1, 1, "{% for %}"),
        ('{% include "layout.mjml" %}', "not_allowed", 1, 1, "{% include %}"),
        ("{{ first_name|attr('x') }}", "not_allowed", 1, 15, "|attr"),
        ("{{ 'a' * 99999999 }}", "not_allowed", 1, 1, "+ - * / %"),
        ("{{ discount_code }}", "unknown_variable", 1, 4, "discount_code"),  # no code here
        ("  ", "required", 1, 1, ""),
        ("x" * 201, "too_long", 1, 201, "200"),
    ],
)
def test_refused_text_says_what_and_where(text, kind, line, column, detail):
    with pytest.raises(CopyError) as refused:
        check("subject", text, variables_for("abandoned_cart_1"))

    error = refused.value
    assert (error.kind, error.line, error.column) == (kind, line, column)
    assert detail in error.detail


def test_variables_depend_on_what_the_email_carries():
    assert variables_for("abandoned_cart_1") == ("first_name", "shop_name", "cart_total")
    assert "discount_code" in variables_for("abandoned_cart_3")
    assert variables_for("cross_sell") == ("first_name", "shop_name")
    check("subject", "{{ discount_code }}", variables_for("abandoned_cart_3"))


def test_an_empty_preheader_or_body_is_allowed_and_renders_empty():
    check("preheader", "", variables_for("abandoned_cart_1"))
    check("intro", "", variables_for("abandoned_cart_1"))
    assert render_copy({"preheader": ""}, {}) == {"preheader": ""}
