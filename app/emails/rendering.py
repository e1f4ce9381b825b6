"""Render a template into subject, HTML and plain text for one recipient.

Each ``templates/<name>.mjml`` extends ``layout.mjml`` and fills the copy blocks (subject,
preheader, headline, intro, cta, cta_url). The HTML part is the MJML rendered by
mjml-python, from its sections' HTML kept per shape (``mjml_sections``); the plain-text part
is ``layout.txt`` rendered from the very same copy blocks and data, so the two parts never
say different things.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from babel.numbers import format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from markupsafe import Markup, escape

from app.emails import i18n, merchant_copy
from app.emails.environment import EmailEnvironment
from app.emails.mjml_sections import mjml_to_html

TEMPLATES_DIR = os.path.join(os.path.dirname(__file__), "templates")
# Asked for by the shopper (the double opt-in confirmation) or owed to them: no consent needed.
TRANSACTIONAL = frozenset({"shipping_notice", "welcome_confirm"})
TEMPLATES = frozenset(
    {
        "abandoned_cart_1",
        "abandoned_cart_2",
        "abandoned_cart_3",
        "back_in_stock",
        "browse_abandonment",
        "cross_sell",
        "price_drop",
        "reactivation_1",
        "reactivation_2",
        "welcome_1",
        "welcome_2",
        "welcome_3",
        "birthday",
        "replenishment",
        *TRANSACTIONAL,
    }
)
SMS_TEMPLATES = frozenset({"abandoned_cart_sms"})
# Templates whose products are the message: their button comes after the products.
RECOMMENDATIONS_LEAD = frozenset(
    {
        "cross_sell",
        "browse_abandonment",
        "welcome_3",
        "replenishment",
        "price_drop",
        "back_in_stock",
    }
)
# One-to-one product blocks a flow may give (``app/flows/product_blocks.py`` fills them); the
# layout gives each its heading.
BLOCK_KINDS = (
    "last_viewed",
    "ever_viewed",
    "bought",
    "recommended",
    "discounted",
    "bestsellers",
    "buy_again",
)
# The products an alert is about (given by the alert flows themselves), headed like a block.
ALERT_BLOCK_KINDS = ("price_drop", "back_in_stock")
COPY_BLOCKS = ("subject", "preheader", "headline", "intro", "cta", "cta_url")
DEFAULT_COLOR = "#1f2937"
# A long cart is cut here ("and 12 more items"): Gmail clips HTML past 102 KB, and with it the
# unsubscribe link in the footer.
MAX_ITEMS_SHOWN = 8
PRODUCT_DEFAULTS = {
    "variant_title": "",
    "image_url": None,
    "quantity": 1,
    "compare_at_price": None,
    "url": None,
}
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class EmailContent:
    subject: str
    html: str
    text: str
    preheader: str = ""  # the inbox's line after the subject (also hidden in the HTML)


class TemplateContextError(ValueError):
    """The context lacks what the email needs (or the law asks for); nothing was rendered."""


def render_email(
    template: str,
    context: Mapping[str, Any],
    locale: str,
    copy: Mapping[str, str] | None = None,
    *,
    environments: Callable[[str], Environment] | None = None,
) -> EmailContent:
    """Render ``template`` for one recipient in ``locale`` (``pl``, ``ro`` or ``en``);
    ``copy`` holds the merchant's own text of some copy blocks (``merchant_copy``), which
    replaces ours. ``environments`` gives the Jinja environment of a locale: ours
    (``EmailEnvironment``) unless the tests ask for ``stock_environment`` to compare."""
    source, copy, text = _compose(template, context, locale, copy, environments)
    return EmailContent(
        subject=copy["subject"],
        html=mjml_to_html(source),
        text=text,
        preheader=copy.get("preheader", ""),
    )


def render_sms(
    template: str,
    context: Mapping[str, Any],
    locale: str,
    *,
    environments: Callable[[str], Environment] | None = None,
) -> str:
    """A text message: one line with the shop's name and the restore link."""
    if template not in SMS_TEMPLATES:
        raise TemplateContextError(f"unknown SMS template {template!r}")
    if not context.get("restore_url"):
        raise TemplateContextError("restore_url is required in a cart text message")
    locale = i18n.resolve_locale(locale)
    text = (
        (environments or _environment)(locale)
        .get_template(f"{template}.txt")
        .render(
            shop=_shop(context.get("shop") or {}),
            customer={"first_name": "", **(context.get("customer") or {})},
            restore_url=context["restore_url"],
        )
    )
    return " ".join(text.split())


def render_mjml(template: str, context: Mapping[str, Any], locale: str) -> str:
    """The MJML source before compiling (for the benchmark and for debugging a template)."""
    return _compose(template, context, locale)[0]


def _compose(
    template: str,
    context: Mapping[str, Any],
    locale: str,
    merchant: Mapping[str, str] | None = None,
    environments: Callable[[str], Environment] | None = None,
) -> tuple[str, dict[str, str], str]:
    """(MJML source, copy blocks, plain-text part) for one recipient."""
    if template not in TEMPLATES:
        raise TemplateContextError(
            f"unknown email template {template!r}; known: {', '.join(sorted(TEMPLATES))}"
        )
    locale = i18n.resolve_locale(locale)
    data = _prepare(template, context, locale)
    env = (environments or _environment)(locale)
    page = env.get_template(f"{template}.mjml")
    copy = _copy(page, data)
    if merchant:
        values = merchant_copy.values_from(data, locale)
        copy.update(merchant_copy.render_copy(merchant, values))
    copy["subject"] = " ".join(copy["subject"].split())
    text = env.get_template("layout.txt").render(data, copy=copy)
    return page.render(data, copy=copy), copy, _tidy(text)


def render_page(
    name: str,
    locale: str,
    *,
    environments: Callable[[str], Environment] | None = None,
    **context: Any,
) -> str:
    """A localised web page from ``templates/`` (the unsubscribe confirmation)."""
    locale = i18n.resolve_locale(locale)
    env = (environments or _environment)(locale)
    return env.get_template(name).render(locale=locale, **context)


def _copy(page: Template, data: dict[str, Any]) -> dict[str, str]:
    """The copy blocks as plain text (unescaped), for the subject and the text part."""
    ctx = page.new_context(data)
    # html.unescape is what Markup(...).unescape() calls, without a Markup made per block.
    return {
        name: html.unescape("".join(page.blocks[name](ctx))).strip()
        for name in COPY_BLOCKS
        if name in page.blocks
    }


def copy_blocks(template: str, locale: str, data: Mapping[str, Any]) -> dict[str, str]:
    """A template's copy blocks rendered with ``data`` alone (``merchant_defaults``)."""
    page = _environment(i18n.resolve_locale(locale)).get_template(f"{template}.mjml")
    return _copy(page, dict(data))


CONTEXT_DEFAULTS: dict[str, Any] = {
    "recommendations": [],
    "upsell": [],
    "blocks": [],
    "items": [],
    "discount": None,
    "tracking": None,
    "restore_url": None,
    "product_url": None,
    "total": None,
    "open_pixel_url": None,
    "unsubscribe_url": None,
    "shop_url": None,
    "confirm_url": None,
}
# What a template cannot do without: (template, context key, message).
REQUIRED = (
    ("abandoned_cart_3", "discount", "abandoned_cart_3 needs a discount {code, percentage, ...}"),
    ("shipping_notice", "tracking", "shipping_notice needs tracking {number, url, company}"),
    ("welcome_confirm", "confirm_url", "welcome_confirm needs the signed confirm_url"),
)


def _prepare(template: str, context: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The context with defaults filled in and checked; refuses what cannot be sent."""
    shop = _shop(context.get("shop") or {})
    marketing = template not in TRANSACTIONAL
    if marketing and not context.get("unsubscribe_url"):
        raise TemplateContextError("unsubscribe_url is required in a marketing email")
    data = {**CONTEXT_DEFAULTS, **context}
    data.update(
        shop=shop,
        customer={"first_name": "", **(context.get("customer") or {})},
        currency=context.get("currency") or shop.get("currency") or "EUR",
        click_url=context.get("click_url") or _identity,
        marketing=marketing,
        recommendations_lead=template in RECOMMENDATIONS_LEAD,
        locale=locale,
        timezone=shop.get("timezone") or "UTC",
    )
    money = _money(data["currency"], locale)
    data.update(
        items=[_product(item, "items", money) for item in data["items"][:MAX_ITEMS_SHOWN]],
        more_items=max(0, len(data["items"]) - MAX_ITEMS_SHOWN),
        recommendations=[_product(p, "recommendations", money) for p in data["recommendations"]],
        upsell=[_product(p, "upsell", money) for p in data["upsell"]],
        blocks=_blocks(data["blocks"], money),
        total_price=None if data["total"] is None else money(data["total"]),
        discount=_discount(data["discount"], locale) if data["discount"] else None,
    )
    for name, key, message in REQUIRED:
        if template == name and not data[key]:
            raise TemplateContextError(message)
    return data


def _shop(given: Mapping[str, Any]) -> dict[str, Any]:
    shop = dict(given)
    for required in ("name", "address"):
        if not str(shop.get(required) or "").strip():
            raise TemplateContextError(
                f"shop.{required} is required: the footer must name the sender and its postal "
                "address (set it in the shop's settings)"
            )
    color = str(shop.get("primary_color") or "")
    shop["primary_color"] = color if _COLOR.match(color) else DEFAULT_COLOR
    shop.setdefault("logo_url", None)
    shop["sender_name"] = shop.get("sender_name") or shop["name"]
    return shop


def _blocks(given: Any, money: Callable[[Any], str]) -> list[dict[str, Any]]:
    """One-to-one product blocks (``{"kind", "products"}``); an empty one is left out."""
    blocks = []
    for block in given or []:
        if block.get("kind") not in BLOCK_KINDS + ALERT_BLOCK_KINDS:
            raise TemplateContextError(f"unknown product block {block.get('kind')!r}")
        products = [_product(p, f"blocks.{block['kind']}", money) for p in block["products"]]
        if products:
            blocks.append({"kind": block["kind"], "products": products})
    return blocks


def _product(item: Mapping[str, Any], where: str, money: Callable[[Any], str]) -> dict[str, Any]:
    """A product line with every optional key present and its prices formatted once (the
    HTML and text parts both show them); title and price are required."""
    if not item.get("title") or item.get("unit_price") is None:
        raise TemplateContextError(f"every entry of {where} needs a title and a unit_price")
    line = {**PRODUCT_DEFAULTS, **{k: v for k, v in item.items() if v is not None}}
    price = i18n.to_decimal(line["unit_price"])
    was = line["compare_at_price"]
    line["price"] = money(price)
    line["was_price"] = money(was) if was is not None and i18n.to_decimal(was) > price else None
    return line


def _money(currency: str, locale: str) -> Callable[[Any], str]:
    return lambda value: i18n.format_money(value, currency, locale)


def _discount(discount: Mapping[str, Any], locale: str) -> dict[str, Any]:
    if not discount.get("code"):
        raise TemplateContextError("discount.code is required when a discount is given")
    # 10.00 reads as "10", 12.5 as "12,5" in Polish.
    percentage = i18n.to_decimal(discount.get("percentage") or 0).normalize()
    return {**discount, "percentage": format_decimal(percentage, locale=locale)}


def _identity(url: str) -> str:
    return url


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"


_OPTIONS: dict[str, Any] = {
    "loader": FileSystemLoader(TEMPLATES_DIR),
    "autoescape": select_autoescape(enabled_extensions=("mjml", "html"), default=False),
    "extensions": ["jinja2.ext.i18n"],
    "undefined": StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "auto_reload": False,
}


@cache
def _environment(locale: str) -> Environment:
    """One Jinja environment per locale: translations and templates compiled in once."""
    return _with_filters(EmailEnvironment(i18n.translations(locale), **_OPTIONS), locale)


def stock_environment(locale: str) -> Environment:
    """Jinja's own ``Environment`` with the same templates, options and catalog, built anew on
    each call: the straightforward render that ``EmailEnvironment`` must equal byte for byte
    (``tests/emails/test_render_paths.py``)."""
    env = Environment(**_OPTIONS)
    env.install_gettext_translations(i18n.translations(locale), newstyle=False)  # type: ignore[attr-defined]
    return _with_filters(env, locale)


def _with_filters(env: Environment, locale: str) -> Environment:
    env.filters["when"] = _when_filter(locale)
    env.filters["lines"] = _lines
    env.filters["attribute_text"] = attribute_text
    return env


# What MRML writes as a Rust escape inside an attribute (a no-break space as "\\u{a0}"): the
# other spaces than the plain one, and marks or format characters left after composing (NFC).
_UNWRITABLE = frozenset(("Mn", "Me", "Cf", "Cc", "Zl", "Zp"))


def attribute_text(value: Any) -> Markup:
    r"""Text for an attribute MRML writes (an image's ``alt``; the title, which it also puts
    in the body's ``aria-label``): MRML writes a no-break space or a combining accent there as
    a Rust escape, ``\u{a0}``, which a screen reader reads out. Accents are composed (NFC),
    every kind of space becomes a plain one, and what is left that it would escape (marks,
    format characters: a zero-width joiner) is left out; a backslash, which it writes doubled,
    goes as a character reference. Escaped here, as autoescaping would."""
    text = unicodedata.normalize("NFC", str(value))
    if text.isascii() and text.isprintable():
        kept = text  # no other space than the plain one, no control character: as it is
    else:
        kept = "".join(
            " " if char.isspace() else char
            for char in text
            if char.isspace() or unicodedata.category(char) not in _UNWRITABLE
        )
    # A backslash it would write doubled: as a character reference it is read as one.
    return escape(kept).replace("\\", Markup("&#92;"))


def _lines(text: str) -> Markup:
    """A text's own line breaks kept in HTML (the merchant's body text), escaped."""
    return Markup("<br />").join(escape(text).split("\n"))


def _when_filter(locale: str) -> Callable[[datetime | str, str], str]:
    def when(value: datetime | str, timezone: str = "UTC") -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return i18n.format_when(moment, locale, timezone)

    return when
