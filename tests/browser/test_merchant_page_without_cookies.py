"""The merchant page in a real Chromium that stores no cookies at all.

Inside Shopify admin the page is a third-party iframe, where Safari (and more and more
Chrome) keeps no cookies; so the page must work with none. Debian's Chromium runs with its
cookie setting on "block"; the app is served for real (werkzeug, its own thread). App Bridge
is loaded from Shopify's CDN in production; here that address is answered by a small stub
whose ``shopify.idToken()`` returns a fresh ID token signed like Shopify signs them (a new one
on every call, minted by the test).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from app.connectors.woocommerce.signing import sign_token
from app.flows.engine.settings import is_enabled
from app.models import Shop, db
from tests.browser.conftest import CHROMIUM
from tests.conftest import SHOP_ADDRESS
from tests.support.shopify import DOMAIN, id_token
from tests.support.woocommerce import SECRET, STORE_URL

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
STUB_TOKEN_URL = "https://cdn.shopify.com/stub/id-token"
ADDRESS = "ul. Prosta 1, 00-001 Warszawa"
# What our page needs of App Bridge: ``shopify.idToken()`` resolving to a fresh token.
STUB_APP_BRIDGE = f"""
window.shopify = {{
  idToken: async function () {{
    const answer = await fetch({json.dumps(STUB_TOKEN_URL)}, {{credentials: "omit"}});
    return await answer.text();
  }}
}};
"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium missing")


def _navigations_of(page: Any, live_url: str) -> list[str]:
    """The Authorization header of each GET of a flow's page (a link followed by page.js)."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.method == "GET"
            and r.url == f"{live_url}/embedded/flows/abandoned_cart"
            and seen.append(r.headers.get("authorization", ""))
        ),
    )
    return seen


def _cookies_are_blocked(page: Any) -> bool:
    return page.evaluate("document.cookie = 'probe=1; path=/'; document.cookie") == ""


def _fill_shop_details_and_switch_the_flow_on(page: Any, saved: str) -> None:
    page.fill("textarea[name='details-address']", ADDRESS)
    page.fill("input[name='details-sender_name']", "Sklep Testowy")
    page.click("#shop-details button[type=submit]")
    page.wait_for_selector(f"p.notice:has-text('{saved}')")
    page.click("#flow-abandoned_cart .sf-switch")
    page.wait_for_selector("p.notice:has-text('Abandoned cart reminders is on')")
    # The previews are on the flow's page, reached by its link (carrying the token).
    page.click("#flow-abandoned_cart a.button")
    page.wait_for_selector("h1:has-text('Abandoned cart reminders')")


def _wait_for_first_preview_showing(page: Any, text: str) -> None:
    """The preview is fetched with the token and written into the frame (``srcdoc``)."""
    page.wait_for_function(
        "text => document.querySelector('#emails iframe').srcdoc.includes(text)",
        arg=text,
        timeout=10_000,
    )
    frame = page.frame_locator("#emails iframe >> nth=0")
    assert text in frame.locator("body").inner_text()


@pytest.fixture()
def make_shop(make_shop):
    """Every shop here has its postal address, so its flows may be switched on."""

    def make(**values):
        values["settings"] = {"address": SHOP_ADDRESS, **values.get("settings", {})}
        return make_shop(**values)

    return make


def test_shopify_merchant_saves_settings_with_cookies_blocked_using_session_tokens(
    app, live_url, cookieless_browser, shopify_shop
):
    minted: list[str] = []

    def fresh_token(route: Any) -> None:
        minted.append(id_token(app))
        headers = {"Access-Control-Allow-Origin": "*"}
        route.fulfill(status=200, body=minted[-1], content_type="text/plain", headers=headers)

    context = cookieless_browser
    context.route(
        APP_BRIDGE, lambda r: r.fulfill(body=STUB_APP_BRIDGE, content_type="text/javascript")
    )
    context.route(STUB_TOKEN_URL, fresh_token)
    page = context.new_page()
    sent_auth: list[str] = []
    page.on(
        "request",
        lambda r: r.method == "POST" and sent_auth.append(r.headers.get("authorization", "")),
    )
    navigations = _navigations_of(page, live_url)

    page.goto(f"{live_url}/embedded/?embedded=1&shop={DOMAIN}&id_token={id_token(app)}")
    assert page.locator("h1").inner_text() == "Storeflow for Test shop"
    assert _cookies_are_blocked(page)

    _fill_shop_details_and_switch_the_flow_on(page, "Shop details saved")

    db.session.expire_all()
    stored = db.session.get(Shop, shopify_shop.id)
    assert stored.legal_address.text == ADDRESS and stored.sender.name == "Sklep Testowy"
    assert is_enabled(shopify_shop.id, "abandoned_cart")
    # Each post went with its own fresh session token from App Bridge.
    assert len(sent_auth) == 2 and all(a.startswith("Bearer ey") for a in sent_auth)
    assert sent_auth[0] != sent_auth[1] or len(set(minted)) < len(minted)
    assert all(a.removeprefix("Bearer ") in minted for a in sent_auth)
    # The link to the flow's page was followed by a fetch with a fresh token too.
    assert (
        navigations[-1].startswith("Bearer ey")
        and navigations[-1].removeprefix("Bearer ") in minted
    )
    # The previews came by fetch with a token too, now that the shop has its address.
    _wait_for_first_preview_showing(page, ADDRESS)
    assert context.cookies() == []


def test_wordpress_merchant_saves_settings_with_cookies_blocked_using_the_wp_token(
    app, live_url, cookieless_browser, woo_shop
):
    woo_shop.locale = "en"
    db.session.commit()
    token = sign_token(SECRET, {"store": STORE_URL, "user": 3, "exp": int(time.time()) + 300})
    page = cookieless_browser.new_page()
    sent_auth: list[str] = []
    page.on(
        "request",
        lambda r: r.method == "POST" and sent_auth.append(r.headers.get("authorization", "")),
    )

    navigations = _navigations_of(page, live_url)

    page.goto(f"{live_url}/embedded/woocommerce?wp_token={token}")
    assert page.locator("h1").inner_text().startswith("Storeflow for")
    assert _cookies_are_blocked(page)

    _fill_shop_details_and_switch_the_flow_on(page, "Shop details saved")

    assert sent_auth == [f"WordPress {token}", f"WordPress {token}"]
    assert navigations == [f"WordPress {token}"]  # the flow page's link carried it too
    assert is_enabled(woo_shop.id, "abandoned_cart")
    _wait_for_first_preview_showing(page, ADDRESS)
    assert cookieless_browser.cookies() == []


PLUGIN_SCRIPT = (
    Path(__file__).resolve().parents[2] / "wordpress-plugin/storeflow/assets/js/embedded-page.js"
)
WP_ADMIN = f"{STORE_URL}/wp-admin/admin.php?page=storeflow-dashboard"
WP_AJAX = f"{STORE_URL}/wp-admin/admin-ajax.php"


def test_wordpress_token_about_to_expire_is_renewed_by_the_plugins_admin_page(
    app, live_url, cookieless_browser, woo_shop
):
    """The plugin's admin page (its real ``embedded-page.js``; admin-ajax answered by the test
    the way ``EmbeddedPage::renew`` answers) frames the service page, whose token has 30 s
    left: the post goes with a fresh token, fetched through the parent."""
    woo_shop.locale = "en"
    db.session.commit()
    now = int(time.time())
    short = sign_token(SECRET, {"store": STORE_URL, "user": 3, "exp": now + 30})
    fresh = sign_token(SECRET, {"store": STORE_URL, "user": 3, "exp": now + 300})
    asked: list[str] = []

    def admin_ajax(route: Any) -> None:
        asked.append(route.request.post_data or "")
        route.fulfill(json={"success": True, "data": {"token": fresh}})

    admin_page = f"""<!doctype html><html><body>
      <script>window.storeflowEmbedded = {
        json.dumps(
            {
                "origin": live_url,
                "url": WP_AJAX,
                "action": "storeflow_embedded_token",
                "nonce": "0a1b2c3d4e",
            }
        )
    };</script>
      <iframe id="storeflow-frame" style="width:100%;height:900px"
              src="{live_url}/embedded/woocommerce?wp_token={short}"></iframe>
      <script src="{STORE_URL}/wp-content/plugins/storeflow/assets/js/embedded-page.js"></script>
    </body></html>"""
    context = cookieless_browser
    context.route(WP_ADMIN, lambda r: r.fulfill(body=admin_page, content_type="text/html"))
    context.route(
        f"{STORE_URL}/wp-content/plugins/storeflow/assets/js/embedded-page.js",
        lambda r: r.fulfill(body=PLUGIN_SCRIPT.read_text(), content_type="text/javascript"),
    )
    context.route(WP_AJAX, admin_ajax)
    page = context.new_page()
    sent_auth: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.method == "POST"
            and r.url.startswith(live_url)
            and sent_auth.append(r.headers.get("authorization", ""))
        ),
    )

    page.goto(WP_ADMIN)
    frame = page.frame_locator("#storeflow-frame")
    frame.locator("#flow-abandoned_cart .sf-switch").click()
    frame.locator("p.notice:has-text('Abandoned cart reminders is on')").wait_for()

    assert sent_auth == [f"WordPress {fresh}"]
    assert asked and 'name="action"\r\n\r\nstoreflow_embedded_token' in asked[0]
    assert 'name="security"\r\n\r\n0a1b2c3d4e' in asked[0]
    assert is_enabled(woo_shop.id, "abandoned_cart")
