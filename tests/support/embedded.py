"""Fixtures for the merchant page: a browser per shop that proves its shop on every request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.models import Shop
from tests.support.flows import outbox
from tests.support.shopify import shopify_shop
from tests.support.woocommerce import public_test_hosts, woo_shop

__all__ = ["outbox", "public_test_hosts", "shopify_shop", "woo_shop"]


@pytest.fixture()
def merchant(app: Flask) -> Callable[[Shop], FlaskClient]:
    """A browser on one shop's page (through the development shortcut) that sends the page's
    token with every request, as ``page.js`` does; it keeps no cookie."""

    def sign_in(shop: Shop) -> FlaskClient:
        browser = app.test_client(use_cookies=False)
        location = browser.get(f"/embedded/dev-login/{shop.id}").location
        token = parse_qs(urlparse(location).query)["dev_token"][0]
        browser.environ_base["HTTP_AUTHORIZATION"] = f"Dev {token}"
        return browser

    return sign_in


@pytest.fixture()
def csrf_on(app: Flask):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False
