"""Who may open the merchant page: a shop the platform vouches for, and only that shop."""

from __future__ import annotations

import time

from app.connectors.woocommerce.signing import sign_token
from tests.support.shopify import DOMAIN, id_token
from tests.support.woocommerce import SECRET, STORE_URL


def test_page_refuses_a_browser_that_has_not_signed_in(client):
    assert client.get("/embedded/").status_code == 401
    assert client.post("/embedded/flows/abandoned_cart", data={}).status_code == 401


def test_shopify_id_token_opens_the_shops_page_framed_only_by_its_admin(app, client, shopify_shop):
    response = client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={id_token(app)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Abandoned cart" in html
    assert f'<meta name="shopify-api-key" content="{app.config["SHOPIFY_API_KEY"]}">' in html
    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' https://{DOMAIN} https://admin.shopify.com" == csp
    # The session carries on without a new token (the form posts and previews need it).
    assert client.get("/embedded/").status_code == 200


def test_forged_shopify_id_token_is_refused(app, client, shopify_shop):
    forged = id_token(app)[:-4] + "AAAA"
    response = client.get(f"/embedded/?embedded=1&shop={DOMAIN}&id_token={forged}")
    assert response.status_code in (302, 401)
    assert client.get("/embedded/").status_code == 401


def test_wordpress_token_signs_in_and_the_token_leaves_the_address_bar(client, woo_shop):
    token = sign_token(SECRET, {"store": STORE_URL, "user": 3, "exp": int(time.time()) + 300})
    response = client.get(f"/embedded/woocommerce?wp_token={token}")
    assert response.status_code == 302 and response.location.endswith("/embedded/")
    page = client.get("/embedded/")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors 'self' {STORE_URL}"
    assert "app-bridge.js" not in page.get_data(as_text=True)


def test_wordpress_token_signed_with_another_secret_is_refused(client, woo_shop):
    token = sign_token("f" * 64, {"store": STORE_URL, "user": 3, "exp": int(time.time()) + 300})
    response = client.get(f"/embedded/woocommerce?wp_token={token}")
    assert response.status_code == 403
    assert "not valid" in response.get_data(as_text=True)
    assert client.get("/embedded/").status_code == 401


def test_dev_login_is_refused_in_production(app, client, shop):
    app.config["STOREFLOW_ENV"] = "production"
    try:
        assert client.get(f"/embedded/dev-login/{shop.id}").status_code == 404
    finally:
        app.config["STOREFLOW_ENV"] = "test"
    assert client.get("/embedded/").status_code == 401


def test_session_of_an_uninstalled_shop_stops_working(merchant, shop):
    browser = merchant(shop)
    shop.status = "uninstalled"
    from app.models import db

    db.session.commit()
    assert browser.get("/embedded/").status_code == 401


def test_home_page_links_each_shop_to_its_page_in_development(client, shop):
    assert f'href="/embedded/dev-login/{shop.id}"' in client.get("/").get_data(as_text=True)


def test_behind_https_the_session_cookie_survives_a_third_party_iframe(backends):
    from app import create_app
    from app.config import config_for_tests

    app = create_app(
        config_for_tests(
            backends.database_url, backends.redis_url, PUBLIC_URL="https://storeflow.example"
        )
    )
    with app.test_request_context("/embedded/", base_url="https://storeflow.example"):
        from flask import session

        session["probe"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=None" in cookie and "Partitioned" in cookie
