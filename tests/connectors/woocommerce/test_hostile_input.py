"""Hostile or broken input gets a clear 4xx, never a 500, and keys never follow a redirect."""

from __future__ import annotations

import pytest
import responses

from app.connectors.woocommerce.client import StoreApiError, StoreClient
from tests.support.woocommerce import STORE_URL, compact, load, plugin_headers


@pytest.mark.parametrize("source", ["https://shop.example:99999", "https://[::1", "https://a:b"])
def test_unreadable_store_address_is_400(client, woo_shop, source):
    body = compact(load("cart_updated.json"))
    headers = {**plugin_headers(body, "cart.updated"), "X-Storeflow-Source": source}
    assert client.post("/webhooks/woocommerce", data=body, headers=headers).status_code == 400


@pytest.mark.parametrize("stamp", ["\u00b2", "9" * 400])
def test_timestamp_that_is_not_plain_digits_is_401(client, woo_shop, stamp):
    body = compact(load("cart_updated.json"))
    headers = {**plugin_headers(body, "cart.updated"), "X-Storeflow-Timestamp": stamp}
    response = client.post(
        "/webhooks/woocommerce",
        data=body,
        headers={k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()},
    )
    assert response.status_code == 401


def test_rest_calls_do_not_follow_redirects_with_the_keys(woo_shop):
    with responses.RequestsMock() as fake:
        fake.add(
            responses.GET,
            f"{STORE_URL}/wp-json/wc/v3/orders",
            status=302,
            headers={"Location": "http://169.254.169.254/latest/meta-data/"},
        )
        with pytest.raises(StoreApiError) as raised:
            StoreClient(woo_shop).call("GET", "orders")
        assert raised.value.status == 302
        assert len(fake.calls) == 1
