"""The price-drop alert's page in a real Chromium, as a Polish merchant uses it: switch the
alert on, clear a product block's tick box, save, and see both stored; the page passes
axe-core's WCAG 2 A/AA checks. Screenshots of the page in pl, ro and en go to
``STOREFLOW_SCREENSHOT_DIR`` when asked for (``STOREFLOW_ALERT_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app.flows import price_drop
from app.flows.engine.settings import is_enabled, settings_for
from app.models import db
from tests.browser.conftest import CHROMIUM, SCREENSHOTS, serious_violations

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
NAME = "Powiadomienia o obniżce ceny"


def _open_flow(browser: Any, live_url: str, shop_id: int, key: str) -> Any:
    page = browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{shop_id}")
    page.wait_for_selector("h1:has-text('Storeflow dla')")
    page.click(f"#flow-{key} a.button")
    page.wait_for_selector(f"h1:has-text('{NAME}')")
    return page


def test_merchant_switches_the_alert_on_and_clears_a_block_on_its_page(
    app, live_url, cookieless_browser, ready_shop, axe_script
):
    page = _open_flow(cookieless_browser, live_url, ready_shop.id, price_drop.KEY)
    box = page.locator("input[name='price_drop-block_recommended']")
    assert box.is_checked()
    assert page.locator("input[name='price_drop-min_drop_percent']").input_value() == "10"
    assert serious_violations(page, axe_script) == []

    page.check("input[name='price_drop-enabled']")
    box.uncheck()
    page.click("#flow-price_drop button[type=submit]")
    page.wait_for_selector(f"p.notice:has-text('{NAME}: zapisano')")

    db.session.expire_all()
    assert is_enabled(ready_shop.id, price_drop.KEY)
    assert settings_for(ready_shop.id, price_drop.FLOW)["block_recommended"] is False
    assert not page.locator("input[name='price_drop-block_recommended']").is_checked()


@pytest.mark.skipif(not os.environ.get("STOREFLOW_ALERT_SCREENSHOTS"), reason="on request")
@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_screenshot_of_the_alert_page(app, live_url, cookieless_browser, ready_shop, locale):
    page = cookieless_browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{ready_shop.id}")
    page.wait_for_selector("h1")
    url = page.url.replace("/embedded/", "/embedded/flows/price_drop", 1)
    page.goto(url + ("&" if "?" in url else "?") + f"locale={locale}")
    page.wait_for_selector("h1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"price_drop-{locale}.png"), full_page=True)
