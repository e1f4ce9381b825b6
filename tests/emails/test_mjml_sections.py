"""MJML compiled by section (``app/emails/mjml_sections.py``) is byte for byte what MRML writes
for the whole source, for every template and locale, with kept HTML and without."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from mjml import mjml2html

from app.emails import mjml_sections
from app.emails.mjml_sections import mjml_to_html
from app.emails.rendering import TEMPLATES, render_mjml
from tests.emails.test_render_paths import AWKWARD, CONTEXTS, LOCALES

LINKS = {
    "unsubscribe_url": "https://storeflow.test/u/TOKEN?a=1&b=2",
    "open_pixel_url": "https://storeflow.test/t/o/TOKEN.gif",
}


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no HTML kept, as a new worker process does."""
    monkeypatch.setattr(mjml_sections, "_HEADS", mjml_sections._Kept(512))
    monkeypatch.setattr(mjml_sections, "_SECTIONS", mjml_sections._Kept(4096))


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents MRML is asked to compile."""
    documents: list[str] = []

    def counted(source: str) -> str:
        documents.append(source)
        return mjml2html(source)

    monkeypatch.setattr(mjml_sections, "mjml2html", counted)
    return documents


def _another_recipient(context: dict[str, Any]) -> dict[str, Any]:
    """The same email's shape for someone else: other names, titles and links."""
    items = [
        {**item, "title": f"Other {n}", "url": item["url"] and f"{item['url']}9"}
        for n, item in enumerate(context["items"])
    ]
    return {
        **context,
        "items": items,
        "customer": {"first_name": "Ana"} if context["customer"].get("first_name") else {},
        "unsubscribe_url": "https://storeflow.test/u/OTHER",
        "open_pixel_url": "https://storeflow.test/t/o/OTHER.gif",
    }


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_email_compiles_to_the_html_mrml_writes_for_it_whole(
    template: str, locale: str, compiled: list[str]
) -> None:
    for name, context in CONTEXTS:
        first = render_mjml(template, {**context, **LINKS}, locale)
        again = render_mjml(template, _another_recipient({**context, **LINKS}), locale)
        assert first != again

        assert mjml_to_html(first) == mjml2html(first), f"{template} in {locale}, {name}"
        compiled.clear()
        assert mjml_to_html(again) == mjml2html(again), f"{template} in {locale}, {name}"
        assert compiled == [], "the second recipient's email is made of kept HTML"


def _cart(rng: random.Random, n: int) -> tuple[dict[str, Any], str]:
    """Carts as varied as the benchmark's, and odder: long ones, bare lines, spaces."""
    words = ["Linen shirt", "Wool  scarf", " Belt ", "Ładna\nkoszula", AWKWARD, "", "42"]
    items = []
    for line in range(rng.choice([1, 1, 2, 3, 5, 9])):
        price = Decimal(rng.randint(100, 40000)) / 100
        items.append(
            {
                "title": rng.choice(words) + f" #{n}-{line}",
                "variant_title": rng.choice(["", "", "S", "M / <White>", " L "]),
                "image_url": rng.choice([None, f"https://cdn.example/p/{n}/{line}.jpg?a=1&b=2"]),
                "quantity": rng.randint(1, 3),
                "unit_price": price,
                "compare_at_price": price * Decimal("1.2") if rng.random() < 0.3 else None,
                "url": rng.choice([None, f"https://shop.example/products/{n}-{line}?x=<1>"]),
            }
        )
    shop = {
        **CONTEXTS[0][1]["shop"],
        "name": rng.choice(["Shop", AWKWARD, "  Spaced  shop "]),
        "logo_url": rng.choice([None, "https://cdn.example/logo.png?v=1&w=2"]),
        "primary_color": rng.choice(["#0f766e", "#b91c1c", "red"]),
    }
    # Only the cart: the other sections' words and links are those of every other email.
    context = {"shop": shop, "customer": {"first_name": rng.choice(words)}, "items": items}
    context.update(
        total=sum(item["unit_price"] * item["quantity"] for item in items),
        currency=rng.choice(["PLN", "RON", "EUR"]),
        restore_url=f"https://shop.example/cart/restore/{n}?t=a&u=b",
        **LINKS,
    )
    return context, rng.choice(LOCALES)


def test_varied_carts_compile_to_the_html_mrml_writes_for_them_whole() -> None:
    rng = random.Random(18)
    sources = [render_mjml("abandoned_cart_1", *_cart(rng, n)) for n in range(300)]

    for source in sources:
        assert mjml_to_html(source) == mjml2html(source)


def test_a_shops_cart_emails_are_mostly_made_of_kept_html(compiled: list[str]) -> None:
    rng = random.Random(5)
    sources = []
    for n in range(200):
        context, locale = _cart(rng, n)
        context["shop"] = {**context["shop"], "primary_color": "#0f766e", "logo_url": None}
        for item in context["items"]:
            item["title"] = f"Koszula lniana #{n}-{rng.randint(1, 99)}"
            item["image_url"] = item["image_url"] or "https://cdn.example/p.jpg"
            item["url"] = item["url"] or f"https://shop.example/p/{n}"
        sources.append(render_mjml("abandoned_cart_1", context, locale))

    for source in sources:
        assert mjml_to_html(source) == mjml2html(source)
    assert len(compiled) < len(sources) / 5


@pytest.mark.parametrize(
    "title",
    ["[[sf:0]]", "[[sw]]", "[[sl]]", "[[sh:0]]", "[[sc]]"],
)
def test_a_source_holding_the_placeholders_brackets_is_compiled_whole(
    title: str, compiled: list[str]
) -> None:
    context = {**CONTEXTS[0][1], **LINKS}
    context["items"] = [{**context["items"][0], "title": title}]
    source = render_mjml("abandoned_cart_1", context, "pl")

    assert mjml_to_html(source) == mjml2html(source)
    assert compiled == [source]


BODIES = [
    # A body that is not only sections: MRML's own rules for these are not ours to split.
    "<mj-raw><p>raw</p></mj-raw><mj-section><mj-column><mj-text>A</mj-text></mj-column></mj-section>",
    "<mj-wrapper><mj-section><mj-column><mj-text>B</mj-text></mj-column></mj-section></mj-wrapper>",
    "<mj-section><mj-column><mj-text>C</mj-text></mj-column></mj-section>text",
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_of_more_than_sections_is_compiled_whole(body: str, compiled: list[str]) -> None:
    source = f"<mjml><mj-body>{body}</mj-body></mjml>"

    assert mjml_to_html(source) == mjml2html(source)
    assert compiled == [source]


def test_a_body_of_sections_only_is_compiled_by_section(compiled: list[str]) -> None:
    section = "<mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section>"
    first = f"<mjml><mj-body>{section.format('A')}</mj-body></mjml>"
    second = f"<mjml><mj-body>{section.format('B')}</mj-body></mjml>"

    assert mjml_to_html(first) == mjml2html(first)
    assert mjml_to_html(second) == mjml2html(second)
    assert len(compiled) == 1 and "[[sf:0]]" in compiled[0]


def test_sections_let_go_are_compiled_again_in_one_document(
    monkeypatch: pytest.MonkeyPatch, compiled: list[str]
) -> None:
    monkeypatch.setattr(mjml_sections, "_SECTIONS", mjml_sections._Kept(1))
    context = {**CONTEXTS[0][1], **LINKS}
    first = render_mjml("abandoned_cart_1", context, "ro")
    again = render_mjml("abandoned_cart_1", _another_recipient(context), "ro")

    assert mjml_to_html(first) == mjml2html(first)
    compiled.clear()
    assert mjml_to_html(again) == mjml2html(again)
    assert len(compiled) == 1


def test_after_forget_kept_an_email_is_compiled_again_like_a_new_workers(
    compiled: list[str],
) -> None:
    section = "<mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section>"
    first = f"<mjml><mj-body>{section.format('A')}</mj-body></mjml>"
    second = f"<mjml><mj-body>{section.format('B')}</mj-body></mjml>"
    assert mjml_to_html(first) == mjml2html(first)
    assert mjml_to_html(second) == mjml2html(second)
    assert len(compiled) == 1  # the second came from kept HTML

    mjml_sections.forget_kept()

    assert mjml_to_html(second) == mjml2html(second)
    assert len(compiled) == 2


def test_kept_html_is_bounded_the_least_recently_used_let_go_first() -> None:
    kept: mjml_sections._Kept[str, int] = mjml_sections._Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # "b" is now the least recently used

    kept.put("c", 3)

    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)


@pytest.mark.parametrize("odd", ["\n", "\\", "\xa0", "e\u0301", "\t"])
def test_a_value_mrml_would_rewrite_inside_an_attribute_is_compiled_whole(
    odd: str, compiled: list[str]
) -> None:
    # MRML writes these as Rust escapes inside an attribute (an image's alt, the title's
    # aria-label): "\u{a0}". Between tags it writes them as they are.
    image = f'<mj-image src="https://x.test/a.jpg" alt="Koszula{odd}lniana" />'
    source = (
        f"<mjml><mj-body><mj-section><mj-column>{image}</mj-column></mj-section></mj-body></mjml>"
    )

    assert mjml_to_html(source) == mjml2html(source)
    assert compiled == [source]


@pytest.mark.parametrize("odd", ["\n", "\\", "\xa0", "e\u0301", "\t"])
def test_a_title_with_such_characters_renders_as_mrml_writes_it_whole(
    odd: str, compiled: list[str]
) -> None:
    # The templates put a title in an alt as ``attribute_text`` (plain spaces, composed
    # accents): what MRML writes is the same by section or whole, and no Rust escape.
    context = {**CONTEXTS[0][1], **LINKS}
    context["items"] = [{**context["items"][0], "title": f"Koszula{odd}lniana"}]
    source = render_mjml("abandoned_cart_1", context, "pl")

    html = mjml_to_html(source)
    assert html == mjml2html(source)
    assert "\\u{" not in html
    assert compiled  # compiled, whole or by section
