"""The Labels tab in a real Chromium: bulk-print the orders waiting for a label and get one
PDF. The page carries its token on every request (no cookie): the bulk post, the status it
polls while the ``labels`` jobs run, and the file, fetched with the token and saved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from app.models import LabelBatch, ShopScope, db
from tests.browser.conftest import CHROMIUM, serious_violations

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")
LOOKS = os.environ.get("STOREFLOW_LABELS_SCREENSHOTS")  # set to keep pictures of the tab


def _open_labels(browser: Any, live_url: str, shop_id: int) -> Any:
    page = browser.new_page()
    page.goto(f"{live_url}/embedded/dev-login/{shop_id}")
    page.wait_for_selector("h1")
    page.click("a.nav-tab[href='/embedded/labels']")
    page.wait_for_selector("#waiting")
    return page


def test_bulk_print_labels_and_get_one_pdf(
    app, live_url, cookieless_browser, labelled_shop, make_orders, run_jobs, tmp_path
):
    make_orders(3)
    page = _open_labels(cookieless_browser, live_url, labelled_shop.id)
    assert page.locator("table.sf-waiting tbody tr").count() == 3

    page.click("#bulk-print button[type=submit]")
    page.wait_for_selector("p.notice:has-text('Drukowanie 3 etykiet')")
    assert "Przygotowanie etykiet" in page.inner_text("#batch-progress")
    assert page.locator("#download").count() == 0

    assert run_jobs("labels") >= 4  # three shipments (and what they queue), then the file
    page.wait_for_selector("#download", timeout=15000)  # the page polled and saw it ready
    assert "Wydrukowano 3 etykiety" in page.inner_text("#batch-progress")
    if LOOKS:
        page.screenshot(path=f"{LOOKS}/labels-ready-pl.png", full_page=True)
    with page.expect_download() as started:
        page.click("#download")
    saved = tmp_path / started.value.suggested_filename
    started.value.save_as(saved)

    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    assert len(PdfReader(saved).pages) == 3
    [batch] = ShopScope(labelled_shop.id).all(LabelBatch)
    assert saved.name == f"labels-{labelled_shop.id}-{batch.id}.pdf"
    assert page.locator("#storeflow-problem").count() == 0


@pytest.mark.parametrize("locale", ["pl", "ro", "en"])
def test_labels_tab_has_no_serious_accessibility_violation(
    app, live_url, cookieless_browser, labelled_shop, make_orders, axe_script, locale
):
    labelled_shop.locale = locale
    db.session.commit()
    make_orders(2)
    page = _open_labels(cookieless_browser, live_url, labelled_shop.id)
    if LOOKS:
        page.screenshot(path=f"{LOOKS}/labels-{locale}.png", full_page=True)
    assert page.locator("html").get_attribute("lang") == locale
    assert serious_violations(page, axe_script) == []
