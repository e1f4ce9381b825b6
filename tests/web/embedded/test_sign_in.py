"""Who may open the merchant page: each request proves its shop with a token, never a cookie.

Shopify's ID tokens here are signed the way the admin signs them (HS256 with the app secret,
the claims of shopify.dev's "Session tokens" page: iss, dest, aud, sub, exp, nbf, iat, jti,
sid); WordPress tokens the way the plugin's ``EmbeddedToken::mint`` does.
"""

from __future__ import annotations

import time

import pytest

from app.connectors.woocommerce.signing import sign_token
from app.flows.engine.settings import is_enabled
from app.models import db
from app.web.embedded.session import RETRY_HEADER
from tests.conftest import SHOP_ADDRESS
from tests.support.shopify import DOMAIN, id_token
from tests.support.woocommerce import SECRET, STORE_URL
from tests.web.embedded.test_settings import form_of

FLOW_FORM = "/embedded/flows/abandoned_cart"
SHOPIFY_CSP = f"frame-ancestors https://{DOMAIN} https://admin.shopify.com"


@pytest.fixture()
def make_shop(make_shop):
    """Every shop here has its postal address, so its flows may be switched on."""

    def make(**values):
        values["settings"] = {"address": SHOP_ADDRESS, **values.get("settings", {})}
        return make_shop(**values)

    return make


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wp_token(secret: str = SECRET, expires_in: int = 300, store: str = STORE_URL) -> str:
    return sign_token(secret, {"store": store, "user": 3, "exp": int(time.time()) + expires_in})


def test_page_refuses_a_request_that_carries_no_token(client, shop):
    assert client.get("/embedded/").status_code == 401
    assert client.post(FLOW_FORM, data=form_of("abandoned_cart", enabled=True)).status_code == 401
    assert not is_enabled(shop.id, "abandoned_cart")


def test_shopify_first_load_with_id_token_shows_the_page_framed_only_by_its_admin(
    app, client, shopify_shop
):
    response = client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={id_token(app)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Abandoned cart" in html
    assert f'<meta name="shopify-api-key" content="{app.config["SHOPIFY_API_KEY"]}">' in html
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in html
    assert '<meta name="storeflow-page-auth" content="">' in html  # App Bridge supplies tokens
    assert response.headers["Content-Security-Policy"] == SHOPIFY_CSP
    assert "Set-Cookie" not in response.headers


def test_every_request_with_a_fresh_session_token_works_and_a_cookie_alone_shows_nothing(
    app, client, shopify_shop
):
    assert (
        client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={id_token(app)}").status_code
        == 200
    )
    saved = client.post(
        FLOW_FORM, data=form_of("abandoned_cart", enabled=True), headers=_bearer(id_token(app))
    )
    assert saved.status_code == 200 and "Abandoned cart reminders: saved" in saved.get_data(
        as_text=True
    )
    assert is_enabled(shopify_shop.id, "abandoned_cart")
    assert client.get("/embedded/", headers=_bearer(id_token(app))).status_code == 200
    preview = client.get(
        "/embedded/flows/abandoned_cart/steps/0/preview", headers=_bearer(id_token(app))
    )
    assert preview.status_code == 200  # proven: the preview renders
    # The same browser, cookies and all, without a token: nothing.
    assert client.get("/embedded/").status_code == 401
    assert client.post(FLOW_FORM, data=form_of("abandoned_cart")).status_code == 401
    assert is_enabled(shopify_shop.id, "abandoned_cart")


def test_a_session_cookie_of_the_old_kind_opens_nothing(client, shopify_shop):
    with client.session_transaction() as session:
        session["storeflow_embedded"] = {"shop_id": shopify_shop.id, "via": "shopify", "exp": 2**40}
    assert client.get("/embedded/").status_code == 401
    assert client.post(FLOW_FORM, data=form_of("abandoned_cart", enabled=True)).status_code == 401
    assert not is_enabled(shopify_shop.id, "abandoned_cart")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda app, now: id_token(app, exp=now - 30, nbf=now - 90), id="expired"),
        pytest.param(lambda app, now: id_token(app, nbf=now + 60), id="not-yet-valid"),
        pytest.param(lambda app, now: id_token(app, aud="another-app"), id="another-audience"),
        pytest.param(lambda app, now: id_token(app)[:-4] + "AAAA", id="bad-signature"),
        pytest.param(
            lambda app, now: id_token(app, iss="https://other-shop.myshopify.com/admin"),
            id="iss-names-another-shop",
        ),
        pytest.param(
            lambda app, now: id_token(app, dest="https://evil.example"), id="dest-not-myshopify"
        ),
    ],
)
def test_invalid_session_token_on_a_background_request_is_401_with_the_retry_header(
    app, client, shopify_shop, bad
):
    token = bad(app, int(time.time()))
    response = client.post(
        FLOW_FORM, data=form_of("abandoned_cart", enabled=True), headers=_bearer(token)
    )
    assert response.status_code == 401
    assert response.headers[RETRY_HEADER] == "1"
    assert not is_enabled(shopify_shop.id, "abandoned_cart")
    # The same request with a valid token goes through.
    good = client.post(
        FLOW_FORM, data=form_of("abandoned_cart", enabled=True), headers=_bearer(id_token(app))
    )
    assert good.status_code == 200 and is_enabled(shopify_shop.id, "abandoned_cart")


def test_a_token_a_few_seconds_past_expiry_is_still_accepted(app, client, shopify_shop):
    now = int(time.time())
    token = id_token(app, exp=now - 5, nbf=now - 65, iat=now - 65)  # clocks drift
    assert client.get("/embedded/", headers=_bearer(token)).status_code == 200


def test_first_load_with_a_stale_id_token_goes_to_app_bridge_for_a_fresh_one(
    app, client, shopify_shop
):
    now = int(time.time())
    stale = id_token(app, exp=now - 60, nbf=now - 120)
    response = client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={stale}")
    assert response.status_code == 302
    assert response.location.startswith("http://localhost/shopify/patch-id-token?")
    assert "shopify-reload=" in response.location
    # Opened in the admin with no token at all: the same way to a fresh one.
    bare = client.get(f"/embedded/?embedded=1&shop={DOMAIN}")
    assert bare.status_code == 302 and "/shopify/patch-id-token?" in bare.location


def test_token_of_a_shop_that_is_not_installed_sends_the_first_load_to_install(app, client):
    response = client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={id_token(app)}")
    assert response.status_code == 302 and response.location.startswith("/shopify?")
    assert client.get("/embedded/", headers=_bearer(id_token(app))).status_code == 401


def test_wordpress_token_opens_the_page_and_is_checked_on_every_request(client, woo_shop):
    token = _wp_token()
    first = client.get(f"/embedded/woocommerce?wp_token={token}")
    assert first.status_code == 200
    assert first.headers["Content-Security-Policy"] == f"frame-ancestors {STORE_URL}"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    html = first.get_data(as_text=True)
    assert f'<meta name="storeflow-page-auth" content="WordPress {token}">' in html
    assert "app-bridge.js" not in html
    assert "Set-Cookie" not in first.headers
    wordpress = {"Authorization": f"WordPress {token}"}
    saved = client.post(FLOW_FORM, data=form_of("abandoned_cart", enabled=True), headers=wordpress)
    assert saved.status_code == 200 and is_enabled(woo_shop.id, "abandoned_cart")
    # Without the token (the cookie jar is all this browser has left): nothing.
    assert client.get("/embedded/").status_code == 401
    assert client.post(FLOW_FORM, data=form_of("abandoned_cart")).status_code == 401
    assert is_enabled(woo_shop.id, "abandoned_cart")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _wp_token(secret="f" * 64), id="another-secret"),
        pytest.param(lambda: _wp_token(expires_in=-1), id="expired"),
        pytest.param(lambda: _wp_token(store="https://other.example"), id="another-store"),
        pytest.param(lambda: _wp_token()[:-3] + "abc", id="bad-signature"),
    ],
)
def test_bad_wordpress_token_is_refused_on_first_load_and_on_a_post(client, woo_shop, token):
    bad = token()
    assert client.get(f"/embedded/woocommerce?wp_token={bad}").status_code == 401
    response = client.post(
        FLOW_FORM,
        data=form_of("abandoned_cart", enabled=True),
        headers={"Authorization": f"WordPress {bad}"},
    )
    assert response.status_code == 401
    assert not is_enabled(woo_shop.id, "abandoned_cart")


def test_a_post_must_carry_its_token_in_the_header_not_in_the_address_or_the_form(client, woo_shop):
    """What keeps form posts safe from cross-site forgery: a forged form can put anything in
    the address or the body, but no browser lets another site set our Authorization header."""
    token = _wp_token()
    data = {**form_of("abandoned_cart", enabled=True), "wp_token": token}
    assert client.post(f"{FLOW_FORM}?wp_token={token}", data=data).status_code == 401
    assert not is_enabled(woo_shop.id, "abandoned_cart")
    headers = {"Authorization": f"WordPress {token}"}
    assert client.post(FLOW_FORM, data=data, headers=headers).status_code == 200
    assert is_enabled(woo_shop.id, "abandoned_cart")


def test_a_disconnected_stores_token_stops_working(client, woo_shop):
    token = _wp_token()
    assert (
        client.get("/embedded/", headers={"Authorization": f"WordPress {token}"}).status_code == 200
    )
    woo_shop.status = "uninstalled"
    db.session.commit()
    assert (
        client.get("/embedded/", headers={"Authorization": f"WordPress {token}"}).status_code == 401
    )


def test_an_uninstalled_shopify_shops_token_stops_working(app, client, shopify_shop):
    shopify_shop.status = "uninstalled"
    db.session.commit()
    response = client.get("/embedded/", headers=_bearer(id_token(app)))
    assert response.status_code == 401


def test_dev_login_opens_the_page_through_a_token_the_page_carries(app, shop):
    browser = app.test_client(use_cookies=False)
    response = browser.get(f"/embedded/dev-login/{shop.id}")
    assert response.status_code == 302
    assert response.location.startswith("/embedded/?dev_token=")
    page = browser.get(response.location)
    assert page.status_code == 200
    token = response.location.split("dev_token=", 1)[1]
    assert f'<meta name="storeflow-page-auth" content="Dev {token}">' in page.get_data(as_text=True)
    saved = browser.post(
        FLOW_FORM,
        data=form_of("abandoned_cart", enabled=True),
        headers={"Authorization": f"Dev {token}"},
    )
    assert saved.status_code == 200 and is_enabled(shop.id, "abandoned_cart")
    forged = token[:-4] + "AAAA"
    assert browser.get("/embedded/", headers={"Authorization": f"Dev {forged}"}).status_code == 401


def test_dev_login_and_its_tokens_are_refused_in_production(app, client, shop):
    token = client.get(f"/embedded/dev-login/{shop.id}").location.split("dev_token=", 1)[1]
    assert client.get(f"/embedded/?dev_token={token}").status_code == 200
    app.config["STOREFLOW_ENV"] = "production"
    try:
        assert client.get(f"/embedded/dev-login/{shop.id}").status_code == 404
        assert client.get(f"/embedded/?dev_token={token}").status_code == 401
    finally:
        app.config["STOREFLOW_ENV"] = "test"


def test_refusal_is_said_in_the_merchants_language(client):
    response = client.get("/embedded/", headers={"Accept-Language": "pl"})
    assert response.status_code == 401
    assert "Otwórz tę stronę" in response.get_data(as_text=True)
    ro = client.get("/embedded/", headers={"Accept-Language": "ro-RO,ro;q=0.9"})
    assert "Deschideți această pagină" in ro.get_data(as_text=True)


def test_home_page_links_each_shop_to_its_page_in_development(client, shop):
    assert f'href="/embedded/dev-login/{shop.id}"' in client.get("/").get_data(as_text=True)
