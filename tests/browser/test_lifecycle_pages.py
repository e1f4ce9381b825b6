"""The birthday and replenishment pages in a real Chromium, in Polish, Romanian and English: the
merchant types the per-product gaps as lines and the Shopify metafield as text, sees them saved,
and each page passes axe-core's WCAG 2 A/AA checks with no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.flows import birthday, replenishment
from app.flows.engine.settings import settings_for
from app.models import db
from tests.browser.conftest import CHROMIUM, serious_violations

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
SAVED = {"pl": "zapisano", "ro": "salvat", "en": "saved"}
TITLES = {
    "pl": ("Życzenia urodzinowe", "Czas kupić ponownie"),
    "ro": ("Urări de ziua de naștere", "E timpul să cumpere din nou"),
    "en": ("Birthday wishes", "Time to buy again"),
}


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_the_lifecycle_pages_save_what_the_merchant_types_and_are_accessible(
    app, live_url, cookieless_browser, make_shop, axe_script, locale
):
    shop = make_shop(locale=locale)
    page = cookieless_browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{shop.id}")
    page.wait_for_selector("h1")
    birthday_title, refill_title = TITLES[locale]

    page.click("#flow-birthday a.button")
    page.wait_for_selector(f"h1:has-text('{birthday_title}')")
    page.click("details.sf-group summary")  # the metafield is an advanced setting
    page.fill("input[name='birthday-birthday_metafield']", "custom.born_on")
    page.fill("input[name='birthday-days_before']", "5")
    page.click("#flow-birthday button[type=submit]")
    page.wait_for_selector(f"p.notice:has-text('{SAVED[locale]}')")
    assert serious_violations(page, axe_script) == []

    page.goto(f"{live_url}/embedded/dev-login/{shop.id}")
    page.click("#flow-replenishment a.button")
    page.wait_for_selector(f"h1:has-text('{refill_title}')")
    page.fill("textarea[name='replenishment-product_days']", "4001 = 30\n4002 = 45")
    page.click("#flow-replenishment button[type=submit]")
    page.wait_for_selector(f"p.notice:has-text('{SAVED[locale]}')")
    assert serious_violations(page, axe_script) == []

    db.session.expire_all()
    stored = settings_for(shop.id, birthday.FLOW)
    assert (stored["birthday_metafield"], stored["days_before"]) == ("custom.born_on", 5)
    assert settings_for(shop.id, replenishment.FLOW)["product_days"] == {"4001": 30, "4002": 45}
