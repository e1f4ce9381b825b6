"""The merchant pages in a real Chromium, as a Polish merchant uses them: switch a flow off
and see its runs stop, change a delay (typed in hours) and see it saved, and the setup
checklist holding a flow off while the shop's postal address is missing. Every page passes
axe-core's WCAG 2 A/AA checks with no serious or critical violation.

The page is opened through the development sign-in (``/embedded/dev-login/<shop>``): the
token it carries goes with every link and post, as in the platforms' admins.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.flows import abandoned_cart
from app.flows.engine.settings import is_enabled, save_settings, settings_for
from app.models import FlowRun, ShopScope, db, utcnow
from tests.browser.conftest import CHROMIUM, serious_violations
from tests.conftest import SHOP_ADDRESS

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
NAME = "Przypomnienia o porzuconym koszyku"


def _open_home(browser: Any, live_url: str, shop_id: int) -> Any:
    page = browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{shop_id}")
    page.wait_for_selector("h1:has-text('Storeflow dla')")
    return page


def _active_runs(shop_id: int, customers: list[Any]) -> None:
    scope = ShopScope(shop_id)
    for n, customer in enumerate(customers):
        scope.add(
            FlowRun(
                flow_key="abandoned_cart",
                subject_key=f"cart:{n}",
                customer_id=customer.id,
                state="active",
                step=0,
                started_at=utcnow() - timedelta(minutes=30),
                next_step_at=utcnow() + timedelta(minutes=30),
            )
        )
    db.session.commit()


def test_switching_a_flow_off_on_its_card_stops_its_runs_and_its_page_says_why(
    app, live_url, cookieless_browser, ready_shop, make_customer
):
    save_settings(ready_shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    buyers = [make_customer(ready_shop, email=f"anna{n}@example.pl") for n in range(2)]
    _active_runs(ready_shop.id, buyers)
    page = _open_home(cookieless_browser, live_url, ready_shop.id)
    switch = page.locator("#flow-abandoned_cart .sf-switch")
    assert switch.get_attribute("aria-checked") == "true"

    switch.click()
    page.wait_for_selector(f"p.notice:has-text('{NAME}: wyłączone')")

    assert page.locator("#flow-abandoned_cart .sf-switch").get_attribute("aria-checked") == "false"
    db.session.expire_all()
    assert not is_enabled(ready_shop.id, "abandoned_cart")
    runs = ShopScope(ready_shop.id).all(FlowRun)
    assert [(r.state, r.end_reason) for r in runs] == [("cancelled", "flow_disabled")] * 2
    # The flow's page (its link, followed with the token) lists the runs and why they stopped.
    page.click("#flow-abandoned_cart a.button")
    page.wait_for_selector(f"h1:has-text('{NAME}')")
    rows = page.locator("table.sf-runs tbody tr")
    assert rows.count() == 2
    assert "anna1@example.pl" in rows.nth(0).inner_text()
    assert (
        "zatrzymany" in rows.nth(0).inner_text() and "wyłączono proces" in rows.nth(0).inner_text()
    )
    # Back goes home again, through the history page.js keeps.
    page.go_back()
    page.wait_for_selector("h1:has-text('Storeflow dla')")


def test_changing_a_delay_in_hours_on_the_flow_page_is_saved_in_minutes(
    app, live_url, cookieless_browser, ready_shop
):
    page = _open_home(cookieless_browser, live_url, ready_shop.id)
    page.click("#flow-abandoned_cart a.button")
    field = page.locator("input[name='abandoned_cart-email_1_delay_minutes']")
    assert field.input_value() == "1"  # one hour, not "60 minutes"
    assert page.locator("#abandoned_cart-email_1_delay_minutes-unit").inner_text() == "godz."

    field.fill("2,5")
    page.click("#flow-abandoned_cart button[type=submit]")
    page.wait_for_selector(f"p.notice:has-text('{NAME}: zapisano')")

    db.session.expire_all()
    assert settings_for(ready_shop.id, abandoned_cart.FLOW)["email_1_delay_minutes"] == 150
    assert page.locator("input[name='abandoned_cart-email_1_delay_minutes']").input_value() == "2,5"

    # A value out of bounds is refused beside its field, with the reason, and not stored.
    page.fill("input[name='abandoned_cart-discount_percent']", "80")
    page.click("#flow-abandoned_cart button[type=submit]")
    error = page.locator("#abandoned_cart-discount_percent-error")
    error.wait_for()
    assert error.inner_text() == "Wpisz liczbę od 1 do 50 %."
    db.session.expire_all()
    assert settings_for(ready_shop.id, abandoned_cart.FLOW)["discount_percent"] == 10


def test_setup_checklist_keeps_a_flow_off_until_the_postal_address_is_filled_in(
    app, live_url, cookieless_browser, make_shop
):
    shop = make_shop()  # no postal address
    page = _open_home(cookieless_browser, live_url, shop.id)
    todo = page.locator("#setup li[data-step='legal_address']")
    assert "todo" in (todo.get_attribute("class") or "")

    page.click("#flow-abandoned_cart .sf-switch")
    alert = page.locator("p.error")
    alert.wait_for()
    assert "tego procesu nie można włączyć, dopóki nie uzupełnisz" in alert.inner_text()
    assert "adresu pocztowego sklepu" in alert.inner_text()
    assert not is_enabled(shop.id, "abandoned_cart")

    page.fill("textarea[name='details-address']", SHOP_ADDRESS)
    page.click("#shop-details button[type=submit]")
    page.wait_for_selector("p.notice:has-text('Dane sklepu zapisane')")
    assert "done" in (
        page.locator("#setup li[data-step='legal_address']").get_attribute("class") or ""
    )
    page.click("#flow-abandoned_cart .sf-switch")
    page.wait_for_selector(f"p.notice:has-text('{NAME}: włączone')")
    db.session.expire_all()
    assert is_enabled(shop.id, "abandoned_cart")


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_every_page_has_no_serious_accessibility_violation(
    app, live_url, cookieless_browser, make_shop, make_customer, axe_script, locale
):
    shop = make_shop(locale=locale)
    _active_runs(shop.id, [make_customer(shop, email="ola@example.pl")])
    page = _open_home(cookieless_browser, live_url, shop.id) if locale == "pl" else None
    if page is None:
        page = cookieless_browser.new_page()
        page.goto(f"{live_url}/embedded/dev-login/{shop.id}")
        page.wait_for_selector("h1")
    found = {"home": serious_violations(page, axe_script)}
    page.click("#flow-abandoned_cart a.button")
    page.wait_for_selector("table.sf-runs")
    page.click("details.sf-group summary")  # the advanced settings too
    found["flow"] = serious_violations(page, axe_script)
    page.click("a.nav-tab[href='/embedded/store']")
    page.wait_for_selector("#segments")
    found["store"] = serious_violations(page, axe_script)
    assert found == {"home": [], "flow": [], "store": []}
