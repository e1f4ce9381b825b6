"""Restore links: signed, expiring, and sent on to what rebuilds the cart on each platform."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.emails.restore_links import restore_link
from app.emails.tracking import IDENTITY_PARAM, read_identity_token
from tests.support.woocommerce import STORE_URL


def _path(url: str) -> str:
    return url.removeprefix("http://storeflow.test")


def test_demo_restore_link_shows_the_rebuilt_cart_with_its_code(client, shop, cart):
    link = restore_link(shop, cart, "BACK-ABC", time.time() + 3600)
    page = client.get(_path(link))
    assert page.status_code == 200
    assert "Linen shirt" in page.text and "BACK-ABC" in page.text


def test_shopify_restore_link_applies_the_code_then_opens_the_abandoned_checkout(
    client, make_shop, make_customer, make_cart
):
    shop = make_shop(platform="shopify", domain="boutique.myshopify.com")
    checkout = "https://boutique.myshopify.com/12345/checkouts/abc/recover?key=k1"
    link = restore_link(
        shop, make_cart(make_customer(shop), restore_url=checkout), "BACK-ABC", time.time() + 60
    )
    response = client.get(_path(link))
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "https://boutique.myshopify.com/discount/BACK-ABC"
        "?redirect=%2F12345%2Fcheckouts%2Fabc%2Frecover%3Fkey%3Dk1"
    )


def test_tampered_restore_link_is_refused(client, shop, cart):
    link = restore_link(shop, cart, None, time.time() + 3600)
    assert client.get(_path(link)[:-3] + "xyz").status_code == 404


def test_expired_restore_link_is_refused(client, shop, cart):
    link = restore_link(shop, cart, None, time.time() - 1)
    response = client.get(_path(link))
    assert response.status_code == 410
    assert "expired" in response.text


def _landing_query(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)


def test_woocommerce_restore_link_carries_the_shoppers_identity_token_like_other_email_links(
    client, woo_shop, make_customer, make_cart
):
    customer = make_customer(woo_shop)
    link = restore_link(woo_shop, make_cart(customer), "BACK-ABC", time.time() + 3600)
    response = client.get(_path(link))
    assert response.headers["Location"].startswith(f"{STORE_URL}/?storeflow_restore=")
    query = _landing_query(response)
    (token,) = query[IDENTITY_PARAM]
    assert read_identity_token(token, woo_shop.id) == customer.id
    assert len(query["storeflow_restore"]) == 1  # the plugin's own token is left as it was


def test_woocommerce_restore_link_of_a_shopper_without_marketing_consent_carries_no_identity(
    client, woo_shop, make_customer, make_cart
):
    customer = make_customer(woo_shop, email_consent="denied")
    link = restore_link(woo_shop, make_cart(customer), None, time.time() + 3600)
    query = _landing_query(client.get(_path(link)))
    assert IDENTITY_PARAM not in query and "storeflow_restore" in query
