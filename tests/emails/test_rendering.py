from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from app.emails import TEMPLATES, TemplateContextError, render_email, render_sms, resolve_locale
from app.emails.rendering import attribute_text

Context = Callable[..., dict[str, Any]]
DISCOUNT = {
    "code": "WRACAJ-7Q2K",
    "percentage": "10.00",
    "expires_at": datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
}


def test_cart_reminder_shows_products_prices_and_links(email_context: Context) -> None:
    email = render_email("abandoned_cart_1", email_context(), "en")

    assert email.subject == "Ola, you left something in your cart"
    for text in ("Linen shirt", "M / White", "Wool scarf", "https://demo.example/img/linen.jpg"):
        assert text in email.html
    assert "PLN189.00" in email.html and "PLN229.00" in email.html  # price and compare-at
    assert "PLN477.00" in email.html
    assert 'href="https://demo.example/cart/restore?token=abc&amp;x=1"' in email.html
    assert 'href="https://storeflow.test/u/TOKEN"' in email.html
    assert 'src="https://storeflow.test/t/o/PIXEL.gif"' in email.html
    assert "ul. Prosta 1, 00-001 Warszawa" in email.html
    assert "#0f766e" in email.html


def test_third_reminder_carries_the_discount_box(email_context: Context) -> None:
    email = render_email("abandoned_cart_3", email_context(discount=DISCOUNT), "en")

    assert email.subject == "10% off the items in your cart"
    assert "WRACAJ-7Q2K" in email.html
    # Expiry is shown in the shop's time zone (Warsaw is UTC+1 in November).
    assert "Valid until 25 November 2026, 18:00" in email.html
    assert "WRACAJ-7Q2K" in email.text


def test_links_go_through_click_tracking(email_context: Context) -> None:
    def tracked(url: str) -> str:
        return "https://storeflow.test/t/c/" + quote(url, safe="")

    email = render_email("abandoned_cart_1", email_context(click_url=tracked), "en")

    assert 'href="https://demo.example' not in email.html
    restore = quote("https://demo.example/cart/restore?token=abc&x=1", safe="")
    assert f'href="https://storeflow.test/t/c/{restore}"' in email.html
    assert f"https://storeflow.test/t/c/{restore}" in email.text
    # The unsubscribe link is never rewritten: it must work even if tracking is down.
    assert 'href="https://storeflow.test/u/TOKEN"' in email.html


def test_polish_rendering_is_translated_with_polish_money(email_context: Context) -> None:
    email = render_email("abandoned_cart_3", email_context(discount=DISCOUNT), "pl_PL")

    assert email.subject == "10% rabatu na produkty w Twoim koszyku"
    assert "Skorzystaj z rabatu" in email.html
    assert "Ilość" in email.html
    assert "477,00\xa0zł" in email.html
    assert "Ważny do 25 listopada 2026, 18:00" in email.text
    assert "Wypisz się" in email.text
    assert 'lang="pl"' in email.html


def test_romanian_rendering_is_translated(email_context: Context) -> None:
    email = render_email("abandoned_cart_1", email_context(), "ro")

    assert email.subject == "Ola, ai uitat ceva în coș"
    assert "Înapoi la coș" in email.html
    assert "Dezabonare" in email.html
    assert "477,00\xa0PLN" in email.text


def test_plain_text_part_has_the_same_content_without_markup(email_context: Context) -> None:
    email = render_email("abandoned_cart_1", email_context(), "en")

    assert "<" not in email.text
    assert "Hi Ola, still thinking it over?" in email.text
    assert "- Linen shirt (M / White)" in email.text
    assert "Quantity: 2 · PLN189.00 (PLN229.00)" in email.text
    assert "Return to your cart: https://demo.example/cart/restore?token=abc&x=1" in email.text
    assert "Unsubscribe: https://storeflow.test/u/TOKEN" in email.text
    assert "ul. Prosta 1, 00-001 Warszawa" in email.text


def test_cross_sell_shows_recommendations(email_context: Context) -> None:
    recommendations = [
        {**email_context()["items"][0], "title": "Leather belt", "url": "https://d.example/b"},
    ]
    email = render_email(
        "cross_sell",
        email_context(items=[], recommendations=recommendations, shop_url="https://d.example"),
        "en",
    )

    assert "You may also like" in email.html
    assert "Leather belt" in email.html and "Leather belt" in email.text
    assert "https://d.example/b" in email.text
    # The products are the message: the button comes after them, in both parts.
    assert email.html.index("Leather belt") < email.html.index("See more")
    assert email.text.index("Leather belt") < email.text.index("See more: https://d.example")


def test_cart_reminder_puts_the_button_right_after_the_cart(email_context: Context) -> None:
    recommendations = [{"title": "Leather belt", "unit_price": "149.00"}]
    email = render_email("abandoned_cart_1", email_context(recommendations=recommendations), "en")

    assert email.text.index("Return to your cart") < email.text.index("Leather belt")
    assert email.html.index("Return to your cart") < email.html.index("Leather belt")


def test_shipping_notice_is_transactional_without_unsubscribe(email_context: Context) -> None:
    tracking = {"number": "620000123", "url": "https://inpost.pl/t/620000123", "company": "InPost"}
    context = email_context(items=[], tracking=tracking, unsubscribe_url=None)

    email = render_email("shipping_notice", context, "pl")

    assert email.subject == "Twoje zamówienie z Demo Boutique jest w drodze"
    assert "620000123" in email.html and "InPost" in email.text
    assert "https://inpost.pl/t/620000123" in email.text
    assert "Wypisz się" not in email.text


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_in_every_locale(template: str, email_context: Context) -> None:
    context = email_context(
        discount=DISCOUNT,
        tracking={"number": "1", "url": "https://t.example/1", "company": "DPD"},
        shop_url="https://d.example",
        confirm_url="https://sf.example/n/token",
    )
    for locale in ("en", "pl", "ro"):
        email = render_email(template, context, locale)
        assert email.subject and "<mjml" not in email.html and email.text.strip()


def test_marketing_email_without_unsubscribe_link_is_refused(email_context: Context) -> None:
    with pytest.raises(TemplateContextError, match="unsubscribe_url"):
        render_email("abandoned_cart_1", email_context(unsubscribe_url=None), "en")


def test_missing_shop_address_is_refused_with_a_clear_message(email_context: Context) -> None:
    context = email_context()
    context["shop"] = {**context["shop"], "address": ""}
    with pytest.raises(TemplateContextError, match=r"shop\.address"):
        render_email("abandoned_cart_1", context, "en")


def test_unknown_template_is_refused(email_context: Context) -> None:
    with pytest.raises(TemplateContextError, match="unknown email template"):
        render_email("abandoned_cart_9", email_context(), "en")


def test_shop_names_and_titles_are_escaped(email_context: Context) -> None:
    items = [{**email_context()["items"][0], "title": "<script>alert(1)</script>"}]
    email = render_email("abandoned_cart_1", email_context(items=items), "en")

    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html


def test_attributes_show_titles_with_odd_spaces_and_accents_as_readers_read_them(
    email_context: Context,
) -> None:
    """MRML writes a no-break space or a combining accent inside an attribute as a Rust
    escape ("\\u{a0}"), which a screen reader reads out: the image's alt and the title (the
    body's aria-label) get plain spaces and composed accents."""
    items = [{**email_context()["items"][0], "title": "Koszula\u00a0lniana\u2009XL e\u0301 A\\B"}]
    context = email_context(items=items)
    context["shop"] = {**context["shop"], "name": "Sklep\u00a0Ani"}
    email = render_email("abandoned_cart_1", context, "pl", {"subject": "Ola, kawe\u0301"})

    assert "\\u{" not in email.html
    assert 'alt="Koszula lniana XL \u00e9 A&#92;B"' in email.html  # a backslash read as one
    assert 'alt="Sklep Ani"' in email.html
    assert 'aria-label="Ola, kaw\u00e9"' in email.html
    assert "Koszula\u00a0lniana" in email.html  # the text itself is kept as written
    assert email.subject == "Ola, kawe\u0301"  # the subject header is not MRML's


def test_attribute_text_of_plain_ascii_keeps_it_and_of_ascii_controls_drops_them() -> None:
    """Printable ASCII goes through as it is (escaped); a tab or a line break becomes a plain
    space and another control character is left out, as for any other text."""
    assert attribute_text("Linen shirt M / White") == "Linen shirt M / White"
    assert attribute_text('Shirt "A" & <B>\\') == "Shirt &#34;A&#34; &amp; &lt;B&gt;&#92;"
    assert attribute_text("Tab\there\nnext\x07bell\x7f") == "Tab here nextbell"


def test_shop_name_inside_translated_sentences_is_escaped(email_context: Context) -> None:
    context = email_context()
    context["shop"] = {**context["shop"], "name": "<b>Bold</b> & Co"}

    email = render_email("abandoned_cart_1", context, "pl")

    assert "<b>Bold</b>" not in email.html
    assert "od &lt;b&gt;Bold&lt;/b&gt; &amp; Co." in email.html
    assert "od <b>Bold</b> & Co." in email.text  # plain text is not HTML: shown as written


def test_a_bad_brand_colour_falls_back_to_the_default(email_context: Context) -> None:
    context = email_context()
    context["shop"] = {**context["shop"], "primary_color": "red;background:url(x)"}
    email = render_email("abandoned_cart_1", context, "en")
    assert "url(x)" not in email.html


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        (("pl_PL", "en"), "pl"),
        (("ro-RO", "pl"), "ro"),
        ((None, "ro"), "ro"),
        (("de_DE", "pl"), "pl"),
        (("de", None), "en"),
    ],
)
def test_locale_is_the_customers_then_the_shops(candidates: tuple[str, ...], expected: str) -> None:
    assert resolve_locale(*candidates) == expected


def test_product_lines_need_only_a_title_and_a_price(email_context: Context) -> None:
    email = render_email(
        "abandoned_cart_1", email_context(items=[{"title": "Gift card", "unit_price": 50}]), "en"
    )
    assert "Gift card" in email.text and "Quantity: 1 · PLN50.00" in email.text


def _column_holding(html: str, text: str) -> str:
    """The MJML column class (``mj-column-per-<width>``) of the column that shows ``text``."""
    start = html.rindex("mj-column-per-", 0, html.index(text))
    return html[start : html.index(" ", start)].rstrip('"')


def test_a_product_line_without_a_picture_takes_the_whole_width(email_context: Context) -> None:
    # Seen on a real WooCommerce store whose products had no pictures: the line's text sat in
    # the right 70% beside an empty 30% column.
    html = render_email("abandoned_cart_1", email_context(), "en").html
    assert _column_holding(html, ">Wool scarf</a>") == "mj-column-per-100"  # no picture
    assert _column_holding(html, ">Linen shirt</a>") == "mj-column-per-70"  # beside its picture
    assert _column_holding(html, "https://demo.example/img/linen.jpg") == "mj-column-per-30"
    assert html.count('mj-column-per-30"') == 1  # the one picture's column, no empty one


def test_a_product_line_without_a_price_is_refused(email_context: Context) -> None:
    with pytest.raises(TemplateContextError, match="title and a unit_price"):
        render_email("abandoned_cart_1", email_context(items=[{"title": "Gift card"}]), "en")


def test_cart_text_message_is_one_localised_line_with_the_link(email_context: Context) -> None:
    context = email_context()

    assert render_sms("abandoned_cart_sms", context, "pl") == (
        "Ola, Twój koszyk w Demo Boutique czeka: https://demo.example/cart/restore?token=abc&x=1"
    )
    assert render_sms("abandoned_cart_sms", {**context, "customer": {}}, "ro") == (
        "Coșul tău de la Demo Boutique te așteaptă: https://demo.example/cart/restore?token=abc&x=1"
    )


def test_cart_text_message_without_a_link_is_refused(email_context: Context) -> None:
    with pytest.raises(TemplateContextError, match="restore_url"):
        render_sms("abandoned_cart_sms", email_context(restore_url=None), "en")


def test_a_long_cart_is_cut_to_stay_under_gmails_clipping_size(email_context: Context) -> None:
    """Gmail hides everything after the first 102 KB, the unsubscribe link included."""
    items = [{**email_context()["items"][0], "title": f"Linen shirt {n}"} for n in range(40)]
    email = render_email("abandoned_cart_3", email_context(items=items, discount=DISCOUNT), "en")

    assert len(email.html.encode()) < 102 * 1024
    assert "Linen shirt 7" in email.html and "Linen shirt 8" not in email.html
    assert "and 32 more items in your cart" in email.html
    assert "and 32 more items in your cart" in email.text


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (1, "i jeszcze 1 produkt w Twoim koszyku"),
        (3, "i jeszcze 3 produkty w Twoim koszyku"),
        (12, "i jeszcze 12 produktów w Twoim koszyku"),
    ],
)
def test_polish_plural_forms_for_the_rest_of_the_cart(
    email_context: Context, extra: int, expected: str
) -> None:
    items = [{"title": f"Item {n}", "unit_price": 10} for n in range(8 + extra)]
    email = render_email("abandoned_cart_1", email_context(items=items), "pl")
    assert expected in email.text


def test_product_blocks_show_their_headings_and_an_empty_block_is_left_out(
    email_context: Context,
) -> None:
    viewed = {**email_context()["items"][0], "title": "Denim jacket"}
    blocks = [
        {"kind": "last_viewed", "products": [viewed]},
        {"kind": "discounted", "products": []},
        {"kind": "bought", "products": [{**viewed, "title": "Wool scarf"}]},
    ]
    context = email_context(items=[], blocks=blocks, shop_url="https://d.example")
    email = render_email("browse_abandonment", context, "pl")

    assert "Oglądane przez Ciebie" in email.html and "Denim jacket" in email.html
    assert "Twoje zakupy" in email.html and "Wool scarf" in email.text
    assert "Teraz taniej" not in email.html and "Teraz taniej" not in email.text
    assert email.subject == "Ola, wciąż o tym myślisz?"


def test_an_unknown_product_block_is_refused(email_context: Context) -> None:
    with pytest.raises(TemplateContextError, match="unknown product block"):
        render_email(
            "browse_abandonment", email_context(blocks=[{"kind": "x", "products": []}]), "en"
        )
