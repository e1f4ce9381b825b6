"""The Customers tab in a real Chromium, as a Polish merchant uses it: the stage counts after
the daily scan, a staff alert rule added through the form and listed, and no serious or
critical axe-core violation on the page in pl, ro and en."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.models import AlertRule, ShopScope, db
from tests.browser.conftest import CHROMIUM, serious_violations
from tests.web.embedded.test_customers_page import _plant

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")


def _open_customers(browser, live_url: str, shop_id: int):
    page = browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{shop_id}")
    page.wait_for_selector("h1")
    page.click("a.nav-tab[href='/embedded/customers']")
    page.wait_for_selector("#stages")
    return page


def test_a_polish_merchant_sees_the_stages_and_adds_an_alert_rule(
    app, live_url, cookieless_browser, shop
):
    _plant(shop)
    page = _open_customers(cookieless_browser, live_url, shop.id)

    assert page.locator("td[data-stage='new']").inner_text() == "2"
    assert page.locator("td[data-stage='lapsed']").inner_text() == "1"
    page.select_option("#rule-kind", "cart_abandoned")
    page.fill("#rule-threshold", "250")
    page.click("button:has-text('Dodaj regułę')")
    page.wait_for_selector("p.notice:has-text('Reguła alertu dodana')")

    assert page.locator("tr[data-rule='cart_abandoned']").count() == 1
    db.session.expire_all()
    (rule,) = ShopScope(shop.id).all(AlertRule)
    assert rule.kind == "cart_abandoned" and rule.threshold == 250


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_the_customers_page_has_no_serious_accessibility_violation(
    app, live_url, cookieless_browser, make_shop, axe_script, locale
):
    shop = make_shop(locale=locale)
    _plant(shop)
    ShopScope(shop.id).add(AlertRule(kind="vip_overdue", period_days=7, enabled=True))
    db.session.commit()
    page = _open_customers(cookieless_browser, live_url, shop.id)

    assert serious_violations(page, axe_script) == []
