"""Shoppers in a real Chromium (Debian's, never a downloaded one): the classic checkout with the
plugin's own JavaScript, exactly as a guest meets it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from playwright.sync_api import Browser, Page, sync_playwright

from tests.acceptance.woocommerce.store import Acceptance


@dataclass(frozen=True)
class Guest:
    email: str
    first_name: str
    last_name: str = "Kowalska"
    street: str = "ul. Morska 5"
    postcode: str = "81-300"
    city: str = "Gdynia"
    phone: str = "+48 501 234 567"


@contextmanager
def browser(acc: Acceptance) -> Iterator[Browser]:
    with sync_playwright() as play:
        chromium = play.chromium.launch(executable_path=acc.chromium, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def _checkout_with_cart(chromium: Browser, acc: Acceptance, product_id: int) -> Page:
    context = chromium.new_context(ignore_https_errors=True, locale="pl-PL")
    page = context.new_page()
    page.goto(f"{acc.store_url}/?add-to-cart={product_id}")
    page.goto(f"{acc.store_url}/checkout/")
    page.wait_for_selector("#billing_email")
    return page


def _type_contact(page: Page, guest: Guest) -> None:
    page.fill("#billing_first_name", guest.first_name)
    page.fill("#billing_last_name", guest.last_name)
    page.fill("#billing_email", guest.email)
    consent = page.locator("#storeflow_consent")
    if consent.count():
        consent.check()
    page.locator("#billing_phone").focus()  # leave the email field: the plugin sends it
    page.wait_for_timeout(2500)


def _wait_for_order(page: Page) -> None:
    """Wait for the order-received page; on failure say what the checkout showed instead."""
    try:
        page.wait_for_url(re.compile(r"order-received/\d+"), timeout=90_000)
    except Exception as exc:
        errors = page.locator(".woocommerce-error, .woocommerce-NoticeGroup").all_inner_texts()
        page.screenshot(path="/tmp/acceptance-checkout-failed.png", full_page=True)
        raise AssertionError(f"no order placed at {page.url}: {errors or exc}") from exc


def abandon_cart(acc: Acceptance, product_id: int, guest: Guest) -> None:
    """Put a product in the cart, type an email (consent ticked) at checkout, and leave."""
    with browser(acc) as chromium:
        page = _checkout_with_cart(chromium, acc, product_id)
        _type_contact(page, guest)
        page.goto(f"{acc.store_url}/")  # pagehide flushes whatever is left
        page.wait_for_timeout(1000)


def place_cod_order(acc: Acceptance, product_id: int, guest: Guest) -> int:
    """A guest's cash-on-delivery order through the classic checkout; the order's id."""
    with browser(acc) as chromium:
        page = _checkout_with_cart(chromium, acc, product_id)
        _type_contact(page, guest)
        page.fill("#billing_address_1", guest.street)
        page.fill("#billing_postcode", guest.postcode)
        page.fill("#billing_city", guest.city)
        page.fill("#billing_phone", guest.phone)
        page.wait_for_selector("#payment_method_cod", state="attached")
        page.wait_for_timeout(1500)  # the order review refreshes after the address
        page.click("label[for=payment_method_cod]")
        page.click("#place_order")
        _wait_for_order(page)
        found = re.search(r"order-received/(\d+)", page.url)
        assert found, page.url
        return int(found.group(1))


def browse_then_order(
    acc: Acceptance, product_urls: list[str], product_id: int, guest: Guest
) -> tuple[str, int]:
    """A guest looks at product pages (the plugin's script sends each view to the collector),
    then orders as a known shopper in the same browser; the visitor cookie and the order id."""
    with browser(acc) as chromium:
        context = chromium.new_context(ignore_https_errors=True, locale="pl-PL")
        page = context.new_page()
        for url in product_urls:
            page.goto(url)
            page.wait_for_load_state("load")
            page.wait_for_timeout(1500)  # sendBeacon leaves after load; give it a moment
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        visitor = cookies.get("storeflow_vid", "")
        assert visitor, f"the product page set no visitor cookie: {sorted(cookies)}"
        page.goto(f"{acc.store_url}/?add-to-cart={product_id}")
        page.goto(f"{acc.store_url}/checkout/")
        page.wait_for_selector("#billing_email")
        _type_contact(page, guest)
        page.fill("#billing_address_1", guest.street)
        page.fill("#billing_postcode", guest.postcode)
        page.fill("#billing_city", guest.city)
        page.fill("#billing_phone", guest.phone)
        page.wait_for_selector("#payment_method_cod", state="attached")
        page.wait_for_timeout(1500)
        page.click("label[for=payment_method_cod]")
        page.click("#place_order")
        _wait_for_order(page)
        found = re.search(r"order-received/(\d+)", page.url)
        assert found, page.url
        return visitor, int(found.group(1))


def _coupons_shown(page: Page) -> list[str]:
    """Codes in the checkout's order review (WooCommerce marks each row ``coupon-<code>``)."""
    page.wait_for_selector(".woocommerce-checkout-review-order-table", timeout=30_000)
    page.wait_for_timeout(1500)  # the review table refreshes once after load
    classes = page.eval_on_selector_all("tr.cart-discount", "rows => rows.map(r => r.className)")
    return [c.split("coupon-", 1)[1].split()[0] for c in classes if "coupon-" in c]


def follow_link(acc: Acceptance, link: str) -> tuple[str, list[str]]:
    """Open a reminder's link; where it lands and the codes the checkout then shows."""
    with browser(acc) as chromium:
        page = chromium.new_context(ignore_https_errors=True, locale="pl-PL").new_page()
        page.goto(link)
        return page.url, _coupons_shown(page) if "/checkout" in page.url else []


def order_through_link(acc: Acceptance, link: str, guest: Guest) -> tuple[int, list[str]]:
    """Open a reminder's link and place the (cash on delivery) order it restores; the order's
    id and the codes the checkout showed."""
    with browser(acc) as chromium:
        page = chromium.new_context(ignore_https_errors=True, locale="pl-PL").new_page()
        page.goto(link)
        page.wait_for_selector("#billing_email")
        codes = _coupons_shown(page)
        _type_contact(page, guest)
        page.fill("#billing_address_1", guest.street)
        page.fill("#billing_postcode", guest.postcode)
        page.fill("#billing_city", guest.city)
        page.fill("#billing_phone", guest.phone)
        page.wait_for_timeout(1500)
        page.click("label[for=payment_method_cod]")
        page.click("#place_order")
        _wait_for_order(page)
        found = re.search(r"order-received/(\d+)", page.url)
        assert found, page.url
        return int(found.group(1)), codes
