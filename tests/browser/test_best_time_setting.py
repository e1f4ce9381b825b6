"""A Polish merchant turns "best time" on for the second win-back email on the flow's page, in
a real Chromium, and the setting is stored; the window waits among the advanced settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.flows import reactivation
from app.flows.engine.settings import save_settings, settings_for
from app.models import db
from tests.browser.conftest import CHROMIUM
from tests.browser.test_merchant_pages import _open_home

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
SECOND = "Wysyłaj drugi e-mail o najlepszej godzinie każdego klienta"


def test_merchant_sends_the_second_winback_email_at_each_customers_best_hour(
    app, live_url, cookieless_browser, ready_shop
):
    save_settings(ready_shop.id, reactivation.FLOW, {}, enabled=True)
    db.session.commit()
    page = _open_home(cookieless_browser, live_url, ready_shop.id)
    page.click("#flow-reactivation a.button")
    box = page.get_by_label(SECOND)
    assert not box.is_checked()
    window = page.locator("input[name='reactivation-best_time_window_hours']")
    assert window.input_value() == "24"

    box.check()
    page.click("#flow-reactivation button[type=submit]")
    page.wait_for_selector("p.notice:has-text('zapisano')")

    db.session.expire_all()
    stored = settings_for(ready_shop.id, reactivation.FLOW)
    assert (stored["email_1_best_time"], stored["email_2_best_time"]) == (False, True)
    assert page.get_by_label(SECOND).is_checked()
