"""The email editor in a real Chromium (Debian's, cookies blocked): a Polish merchant rewrites
a subject and sees the preview follow, a broken template is refused with where and why, and a
test send arrives at a real SMTP server. Each test leaves a screenshot when it fails."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from app.connectors.woocommerce.signing import sign_token
from app.models import EmailOverride, ShopScope, db
from app.web.embedded.session import issue_dev_token
from tests.browser.conftest import CHROMIUM
from tests.browser.test_merchant_page_without_cookies import (
    APP_BRIDGE,
    STUB_APP_BRIDGE,
    STUB_TOKEN_URL,
)
from tests.conftest import SHOP_ADDRESS
from tests.support.shopify import DOMAIN, id_token
from tests.support.woocommerce import SECRET, STORE_URL

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
SCREENSHOTS = Path(os.environ.get("STOREFLOW_SCREENSHOT_DIR", tempfile.gettempdir()))
EDITOR = "/embedded/flows/abandoned_cart/emails"


@contextmanager
def screenshot_on_failure(page: Any, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        folder = SCREENSHOTS / "storeflow-screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        print(f"screenshot: {folder / f'{name}.png'}")
        raise


def _frame_text(page: Any, css: str) -> str:
    return page.frame_locator(css).locator("body").inner_text()


def _wait_for_preview(page: Any, text: str) -> None:
    page.wait_for_function(
        """text => [...document.querySelectorAll('iframe[data-draft-preview]')]
                   .every(f => f.srcdoc.includes(text))""",
        arg=text,
        timeout=10_000,
    )


def test_polish_merchant_rewrites_a_subject_and_sees_the_preview_follow(
    app, live_url, cookieless_browser, shopify_shop
):
    """Inside Shopify admin: every request goes with App Bridge's session token (stubbed)."""
    shopify_shop.locale = "pl"
    shopify_shop.settings = {**shopify_shop.settings, "address": SHOP_ADDRESS}
    db.session.commit()
    context = cookieless_browser
    context.route(
        APP_BRIDGE, lambda r: r.fulfill(body=STUB_APP_BRIDGE, content_type="text/javascript")
    )
    context.route(
        STUB_TOKEN_URL,
        lambda r: r.fulfill(
            body=id_token(app),
            content_type="text/plain",
            headers={"Access-Control-Allow-Origin": "*"},
        ),
    )
    page = context.new_page()
    with screenshot_on_failure(page, "editor-polish-subject"):
        page.goto(f"{live_url}{EDITOR}?embedded=1&shop={DOMAIN}&id_token={id_token(app)}")
        assert page.locator("h1").inner_text().startswith("Twoje e-maile")
        _wait_for_preview(page, "Cześć Anna, wciąż się zastanawiasz?")
        page.wait_for_function(
            "() => document.getElementById('inbox-subject').textContent.includes('Anna,')"
        )
        assert page.locator("#inbox-subject").inner_text() == "Anna, coś zostało w Twoim koszyku"

        page.fill("#copy-subject", "")
        page.type("#copy-subject", "Wracaj, ")
        page.click("button[data-insert='{{ first_name }}']")
        page.fill("#copy-headline", "Mamy Twój koszyk, {{ first_name }}!")

        _wait_for_preview(page, "Mamy Twój koszyk, Anna!")
        assert "Mamy Twój koszyk, Anna!" in _frame_text(page, "iframe.phone")
        assert "Mamy Twój koszyk, Anna!" in _frame_text(page, "iframe.desktop")
        page.wait_for_function(
            "() => document.getElementById('inbox-subject').textContent === 'Wracaj, Anna'"
        )
        assert ShopScope(shopify_shop.id).all(EmailOverride) == []  # previewing stores nothing

        page.click("button[name=do][value=save]")
        page.wait_for_selector("p.notice:has-text('Zapisano')")
        stored = {r.field: r.text for r in ShopScope(shopify_shop.id).all(EmailOverride)}
        assert stored["subject"] == "Wracaj, {{ first_name }}"
        assert page.input_value("#copy-subject") == "Wracaj, {{ first_name }}"
    assert context.cookies() == []


def test_broken_template_is_refused_with_its_reason_and_place(
    app, live_url, cookieless_browser, make_shop
):
    shop = make_shop(name="Sklep Ani", locale="pl", settings={"address": SHOP_ADDRESS})
    token = issue_dev_token(shop)
    page = cookieless_browser.new_page()
    with screenshot_on_failure(page, "editor-broken-template"):
        page.goto(f"{live_url}{EDITOR}?dev_token={token}")
        _wait_for_preview(page, "Cześć Anna")

        page.fill("#copy-headline", "Cześć {{ imie }}")
        problem = page.locator("#draft-problem")
        problem.wait_for(state="visible")
        assert "Nagłówek, wiersz 1, kolumna 10: nieznana zmienna „imie”" in problem.inner_text()

        page.click("button[name=do][value=save]")
        refused = page.locator("p.error[role=alert]")
        refused.wait_for()
        assert "wiersz 1, kolumna 10" in refused.inner_text()
        assert page.input_value("#copy-headline") == "Cześć {{ imie }}"  # kept to fix
        assert ShopScope(shop.id).all(EmailOverride) == []


def test_test_send_arrives_at_the_smtp_server_in_the_merchants_words(
    app, live_url, cookieless_browser, woo_shop, mailbox, run_jobs
):
    """From the WordPress admin's token; the worker sends it to a real SMTP server."""
    woo_shop.locale = "ro"
    woo_shop.settings = {**woo_shop.settings, "address": SHOP_ADDRESS}
    db.session.commit()
    token = sign_token(SECRET, {"store": STORE_URL, "user": 3, "exp": int(time.time()) + 300})
    page = cookieless_browser.new_page()
    with screenshot_on_failure(page, "editor-test-send"):
        page.goto(f"{live_url}{EDITOR}?wp_token={token}")
        page.click("button[name=locale][value=pl]")  # the Polish email, on a Romanian page
        page.wait_for_selector("button[name=locale][value=pl][aria-current=true]")
        page.fill("#copy-subject", "{{ first_name }}, dokończ zakupy w {{ shop_name }}")
        page.fill("#test-to", "wlasciciel@sklep.example")
        page.click("button[name=do][value=test]")
        page.wait_for_selector("p.notice:has-text('wlasciciel@sklep.example')")

        assert run_jobs("flows") == 1
        (mail,) = mailbox.received
        assert mail["To"] == "wlasciciel@sklep.example"
        subject = str(make_header(decode_header(mail["Subject"])))
        assert subject == f"[TEST] Anna, dokończ zakupy w {woo_shop.name}"
        html = mail.get_body(preferencelist=("html",)).get_content()
        assert SHOP_ADDRESS in html  # the legal footer is there whatever the merchant wrote
