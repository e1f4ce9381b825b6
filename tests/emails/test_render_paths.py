"""Every email, page and text message renders byte for byte as Jinja's own environment renders it.

``EmailEnvironment`` (app/emails/environment.py) is the render path flows send through; it
does less work per email than a stock ``jinja2.Environment``. ``stock_environment`` is that
straightforward path, built with the same templates, options and catalogs. Here both render
every template flows send, in pl, ro and en, with the real signed links, full and sparse
contexts, values that need escaping, every plural form, and the merchant's own copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from flask import Flask
from jinja2 import Environment

from app.emails import rendering
from app.emails.rendering import (
    ALERT_BLOCK_KINDS,
    BLOCK_KINDS,
    TEMPLATES,
    render_email,
    render_page,
    render_sms,
    stock_environment,
)
from app.emails.tracking import tracking_context

LOCALES = ("pl", "ro", "en")
# Characters HTML escapes, and the diacritics of both languages.
AWKWARD = "Zoë & <Łucja> \"Ștefan\" 'Țara'"


@cache
def _stock(locale: str) -> Environment:
    """The straightforward path, its templates compiled once for the whole module."""
    return stock_environment(locale)


def _product(n: int, *, awkward: bool = False, bare: bool = False) -> dict[str, Any]:
    price = Decimal(1999 + 137 * n) / 100
    return {
        "title": f"{AWKWARD} #{n}" if awkward else f"Linen shirt #{n}",
        "variant_title": "" if bare else ("M / <White>" if awkward else "L / Navy"),
        "image_url": None if bare else f"https://cdn.example/p/{n}.jpg?w=300&h=300",
        "quantity": 1 + n % 3,
        "unit_price": price,
        "compare_at_price": None if bare else price * Decimal("1.25") if n % 2 else price / 2,
        "url": None if bare else f"https://shop.example/products/{n}?utm=a&b=<c>",
    }


def _full(items: int, awkward: bool) -> dict[str, Any]:
    """Every section a template can show: a cart, blocks of every kind, picks, a discount."""
    products = [_product(n, awkward=awkward) for n in range(items)]
    picks = [_product(n + 100, awkward=awkward, bare=n == 1) for n in range(4)]
    return {
        "shop": {
            "name": AWKWARD if awkward else "Demo Boutique",
            "logo_url": "https://demo.example/logo.png?a=1&b=2",
            "primary_color": "#0f766e",
            "sender_name": "Anna & co" if awkward else "",
            "address": "ul. Prosta 1, 00-001 Warszawa",
            "timezone": "Europe/Warsaw",
            "currency": "PLN",
        },
        "customer": {"first_name": AWKWARD if awkward else "Ola"},
        "items": products,
        "total": sum(p["unit_price"] * p["quantity"] for p in products),
        "currency": "RON" if awkward else "PLN",
        "restore_url": "https://demo.example/cart/restore?token=abc&x=1",
        "shop_url": "https://demo.example/",
        "product_url": "https://demo.example/products/1",
        "recommendations": picks[:3],
        "upsell": picks[:2],
        "blocks": [
            {"kind": kind, "products": picks[: 1 + i % 4]}
            for i, kind in enumerate(BLOCK_KINDS + ALERT_BLOCK_KINDS)
        ],
        "discount": {
            "code": "WRACAJ-<7Q2K>",
            "percentage": Decimal("12.50"),
            "expires_at": datetime(2026, 11, 25, 17, 0, tzinfo=UTC),
        },
        "tracking": {
            "number": "6200 & 1",
            "url": "https://track.example/?n=1&x=2",
            "company": "InPost",
        },
        "confirm_url": "https://storeflow.test/confirm/TOKEN?x=1&y=2",
    }


def _sparse() -> dict[str, Any]:
    """What a shop with nothing set sends: no name, logo, colour, links or images."""
    return {
        "shop": {"name": "Sklep", "address": "ul. Prosta 1", "primary_color": "red"},
        "customer": {},
        "items": [_product(0, bare=True)],
        "total": "19.99",
        "discount": {"code": "X1", "percentage": 10, "expires_at": None},
        "tracking": {"number": "1", "url": "https://t.example/1", "company": "DPD"},
        "confirm_url": "https://storeflow.test/confirm/T",
    }


# (name, context); the number of cart lines past eight gives each plural form ("and N more").
CONTEXTS = [
    ("full", _full(3, awkward=False)),
    ("awkward, one more item", _full(9, awkward=True)),
    ("three more items", _full(11, awkward=False)),
    ("six more items", _full(14, awkward=True)),
    ("sparse", _sparse()),
]


def _signed(app: Flask, context: dict[str, Any], locale: str, message_id: int) -> dict[str, Any]:
    """The context as a flow step gives it: its own signed pixel, clicks and unsubscribe."""
    signed = tracking_context(7, message_id, "ola@example.com", locale, 5000 + message_id)
    return {**context, **signed}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_email_renders_as_jinjas_own_environment_renders_it(
    app: Flask, template: str, locale: str
) -> None:
    for n, (name, context) in enumerate(CONTEXTS):
        # Each path gets its own click tracker (one per message, as in a flow step).
        ours = render_email(template, _signed(app, context, locale, n), locale)
        stock = render_email(
            template, _signed(app, context, locale, n), locale, environments=_stock
        )

        assert ours == stock, f"{template} in {locale}, {name} context"
        assert ours.html.startswith("<!doctype html>") and ours.text.strip()
        assert "/t/o/" in ours.html or template in rendering.TRANSACTIONAL


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_merchant_copy_renders_as_jinjas_own_environment_renders_it(
    app: Flask, template: str, locale: str
) -> None:
    copy = {
        "subject": "{% if first_name %}{{ first_name }}, {% endif %}news from {{ shop_name }}",
        "preheader": "{{ shop_name|lower }}",
        "headline": "Hi {{ first_name|default('there') }}",
        "intro": "Line one\n<b>Line two</b> & {{ shop_name|upper }}",
        "cta": "Go <now>",
    }
    context = _full(2, awkward=True)

    ours = render_email(template, _signed(app, context, locale, 1), locale, copy)
    stock = render_email(
        template, _signed(app, context, locale, 1), locale, copy, environments=_stock
    )

    assert ours == stock
    assert "&lt;b&gt;Line two&lt;/b&gt; &amp; " in ours.html  # the merchant's text, escaped


@pytest.mark.parametrize("locale", LOCALES)
def test_web_pages_and_text_messages_render_as_jinjas_own_environment_renders_them(
    locale: str,
) -> None:
    pages = [
        ("unsubscribe.html", {"shop_name": AWKWARD, "email": "a&b@example.com", "done": done})
        for done in (False, True)
    ] + [
        ("confirm_subscription.html", {"shop_name": name, "state": state})
        for state in ("ask", "done", "expired")
        for name in (AWKWARD, "")
    ]
    for name, context in pages:
        ours = render_page(name, locale, **context)
        assert ours == render_page(name, locale, environments=_stock, **context), name
        assert f'lang="{locale}"' in ours

    for customer in ({"first_name": AWKWARD}, {}):
        context = {
            "shop": {"name": "Demo & co", "address": "ul. Prosta 1"},
            "customer": customer,
            "restore_url": "https://storeflow.test/r/TOKEN",
        }
        sms = render_sms("abandoned_cart_sms", context, locale)
        assert sms == render_sms("abandoned_cart_sms", context, locale, environments=_stock)
        assert sms.endswith("https://storeflow.test/r/TOKEN")
