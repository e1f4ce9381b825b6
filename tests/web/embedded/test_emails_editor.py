"""The merchant's own emails on the page: prefilled with our text, checked, stored per shop,
step and language, previewed as typed, sent as a test, and reset."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from app.flows.registry import flow_for
from app.models import AuditLog, EmailOverride, Shop, ShopScope, db
from app.web.embedded.page import page_flows
from tests.conftest import SHOP_ADDRESS

URL = "/embedded/flows/abandoned_cart/emails"
DEFAULT_PL_SUBJECT = (
    "{% if first_name %}{{ first_name }}, coś zostało w Twoim koszyku"
    "{% else %}Coś zostało w Twoim koszyku{% endif %}"
)


@pytest.fixture()
def polish_shop(make_shop) -> Shop:
    return make_shop(name="Sklep Ani", locale="pl", settings={"address": SHOP_ADDRESS})


def _fields(page: str) -> dict[str, str]:
    found = dict(re.findall(r'name="(subject|preheader|headline|cta)"[^>]*value="([^"]*)"', page))
    intro = re.search(r'name="intro"[^>]*>([^<]*)</textarea>', page)
    found["intro"] = intro.group(1) if intro else ""
    return {k: v.replace("&#34;", '"').replace("&#39;", "'") for k, v in found.items()}


def _form(**changes: str) -> dict[str, str]:
    base = {
        "step": "0",
        "locale": "pl",
        "subject": DEFAULT_PL_SUBJECT,
        "preheader": "Twój koszyk jest zapisany i czeka na Ciebie.",
        "headline": "Cześć {{ first_name }}",
        "intro": "Zapisaliśmy Twój koszyk w {{ shop_name }}.",
        "cta": "Wróć do koszyka",
    }
    return {**base, **changes}


def test_editor_opens_prefilled_with_our_polish_text_in_the_merchants_language(
    merchant, polish_shop
):
    response = merchant(polish_shop).get(URL)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="pl">' in page and "Twoje e-maile" in page
    fields = _fields(page)
    assert fields["subject"].replace("&amp;", "&") == DEFAULT_PL_SUBJECT
    assert fields["cta"] == "Wróć do koszyka"
    assert "{{ shop_name }}" in fields["intro"]
    assert 'data-insert="{{ cart_total }}"' in page  # a cart email offers the cart total
    assert 'data-insert="{{ discount_code }}"' not in page  # the first reminder has no code


def test_saved_subject_is_stored_for_that_step_and_language_only_and_shown_back(
    merchant, polish_shop
):
    browser = merchant(polish_shop)

    response = browser.post(URL, data=_form(subject="{{ first_name }}, koszyk czeka!"))

    assert response.status_code == 200
    rows = ShopScope(polish_shop.id).all(EmailOverride)
    stored = {(r.flow_key, r.step, r.locale, r.field): r.text for r in rows}
    assert stored[("abandoned_cart", 0, "pl", "subject")] == "{{ first_name }}, koszyk czeka!"
    assert ("abandoned_cart", 0, "pl", "preheader") not in stored  # unchanged: not stored
    assert not any(key[2] != "pl" or key[1] != 0 for key in stored)
    page = browser.get(f"{URL}?step=0&locale=pl").get_data(as_text=True)
    assert _fields(page)["subject"] == "{{ first_name }}, koszyk czeka!"
    english = browser.get(f"{URL}?step=0&locale=en").get_data(as_text=True)
    assert "koszyk czeka" not in english
    (audit,) = ShopScope(polish_shop.id).all(AuditLog, AuditLog.action == "email_copy")
    assert audit.subject == "abandoned_cart:0:pl"


def test_unknown_variable_is_refused_with_line_and_column_and_nothing_is_stored(
    merchant, polish_shop
):
    response = merchant(polish_shop).post(URL, data=_form(subject="Cześć {{ imie }}"))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Temat, wiersz 1, kolumna 10" in page and "imie" in page
    assert ShopScope(polish_shop.id).all(EmailOverride) == []
    assert "Cześć {{ imie }}" in page  # what was typed stays in the field
    assert re.search(r'name="subject"[^>]*aria-invalid="true"', page)
    assert not re.search(r'name="headline"[^>]*aria-invalid', page)


def test_broken_syntax_and_unsafe_constructs_are_refused_with_their_place(merchant, polish_shop):
    browser = merchant(polish_shop)
    polish_shop.locale = "en"
    db.session.commit()

    unclosed = browser.post(URL, data=_form(headline="Hi\nthere {{ first_name"))
    unsafe = browser.post(URL, data=_form(cta="{{ shop_name.__class__ }}"))

    assert unclosed.status_code == 400 and unsafe.status_code == 400
    assert "Heading, line 2, column 7: “{{” is opened here but never closed" in (
        unclosed.get_data(as_text=True)
    )
    assert "Button text, line 1, column 1: “.” is not allowed here" in unsafe.get_data(as_text=True)
    assert ShopScope(polish_shop.id).all(EmailOverride) == []


def test_reset_brings_back_our_text(merchant, polish_shop):
    browser = merchant(polish_shop)
    browser.post(URL, data=_form(subject="Mój temat"))
    assert ShopScope(polish_shop.id).all(EmailOverride)

    response = browser.post(URL, data=_form(subject="Mój temat", do="reset"))

    assert response.status_code == 200
    assert ShopScope(polish_shop.id).all(EmailOverride) == []
    assert (
        _fields(response.get_data(as_text=True))["subject"].replace("&amp;", "&")
        == DEFAULT_PL_SUBJECT
    )


def test_draft_preview_shows_the_typed_text_or_the_reason_it_cannot(merchant, polish_shop):
    browser = merchant(polish_shop)

    shown = browser.post(f"{URL}/preview", data=_form(headline="Witaj {{ first_name }}!"))
    refused = browser.post(f"{URL}/preview", data=_form(headline="{% if first_name %}x"))

    assert shown.status_code == 200 and shown.mimetype == "text/html"
    html = shown.get_data(as_text=True)
    assert "Witaj Anna!" in html and SHOP_ADDRESS in html  # the footer stays
    assert "/u/" in html  # and the unsubscribe link
    assert refused.status_code == 422
    assert "Nagłówek, wiersz 1, kolumna 1" in refused.get_data(as_text=True)
    assert ShopScope(polish_shop.id).all(EmailOverride) == []


def test_test_send_mails_the_draft_text_from_a_worker(merchant, polish_shop, run_jobs, outbox):
    browser = merchant(polish_shop)

    response = browser.post(
        URL, data=_form(subject="Test {{ shop_name }}", do="test", to="ania@sklep.example")
    )

    assert response.status_code == 200
    assert run_jobs("flows") == 1
    (mail,) = [message_from_bytes(p.read_bytes()) for p in outbox.iterdir() if p.is_file()]
    assert mail["To"] == "ania@sklep.example"
    assert str(make_header(decode_header(mail["Subject"]))) == "[TEST] Test Sklep Ani"
    assert ShopScope(polish_shop.id).all(EmailOverride) == []  # a test stores nothing


def test_another_shops_text_is_never_read_nor_changed(merchant, polish_shop, make_shop):
    other = make_shop(n=2, name="Inny", locale="pl", settings={"address": SHOP_ADDRESS})
    merchant(other).post(URL, data=_form(subject="Temat innego sklepu"))

    page = merchant(polish_shop).get(URL).get_data(as_text=True)
    merchant(polish_shop).post(URL, data=_form(do="reset"))

    assert "Temat innego sklepu" not in page
    (row,) = ShopScope(other.id).all(EmailOverride, EmailOverride.field == "subject")
    assert row.text == "Temat innego sklepu"
    assert ShopScope(polish_shop.id).all(EmailOverride) == []


def test_brand_is_saved_once_for_the_shop(merchant, polish_shop):
    response = merchant(polish_shop).post(
        f"{URL}/brand",
        data={
            "step": "0",
            "locale": "pl",
            "brand-logo_url": "https://sklep.example/logo.png",
            "brand-primary_color": "#0f766e",
            "brand-sender_name": "Ania ze Sklepu",
            "brand-sender_email": "ania@sklep.example",
            "brand-address": "ul. Nowa 2, 00-002 Warszawa",
        },
    )

    assert response.status_code == 200
    db.session.expire_all()
    shop = db.session.get(Shop, polish_shop.id)
    assert shop.branding.logo_url == "https://sklep.example/logo.png"
    assert shop.branding.primary_color == "#0f766e"
    assert (shop.sender.name, shop.sender.email) == ("Ania ze Sklepu", "ania@sklep.example")
    assert shop.legal_address.text == "ul. Nowa 2, 00-002 Warszawa"


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_every_flow_on_the_page_that_sends_email_opens_in_the_editor(merchant, make_shop, locale):
    shop = make_shop(name="Sklep Ani", locale=locale, settings={"address": SHOP_ADDRESS})
    browser = merchant(shop)
    opened = []
    for key in page_flows():
        flow = flow_for(key)
        assert flow is not None
        for index, step in enumerate(flow.steps):
            if step.channel != "email":
                continue
            response = browser.get(f"/embedded/flows/{key}/emails?step={index}")
            assert response.status_code == 200, (key, index, response.status_code)
            assert f'<html lang="{locale}">' in response.get_data(as_text=True)
            opened.append(key)
    assert {"abandoned_cart", "welcome", "browse_abandonment"} <= set(opened)


def test_unknown_flow_or_step_is_not_found(merchant, polish_shop):
    browser = merchant(polish_shop)
    assert browser.get("/embedded/flows/nope/emails").status_code == 404
    assert browser.get(f"{URL}?step=1").status_code == 404  # step 1 is the SMS
    assert browser.get(f"{URL}?step=x").status_code == 404


def test_the_flow_pages_own_preview_and_test_send_show_the_merchants_saved_text(
    merchant, polish_shop, run_jobs, outbox
):
    browser = merchant(polish_shop)
    browser.post(URL, data=_form(headline="Witamy ponownie, {{ first_name }}"))

    preview = browser.get("/embedded/flows/abandoned_cart/steps/0/preview")
    browser.post("/embedded/flows/abandoned_cart/steps/0/test", data={"to": "a@sklep.example"})

    assert "Witamy ponownie, Anna" in preview.get_data(as_text=True)
    assert run_jobs("flows") == 1
    (mail,) = [message_from_bytes(p.read_bytes()) for p in outbox.iterdir() if p.is_file()]
    html = mail.get_payload()[1].get_payload(decode=True).decode()
    assert "Witamy ponownie, Anna" in html
