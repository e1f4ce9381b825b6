"""Fixtures for the merchant page: a signed-in browser per shop."""

from __future__ import annotations

from collections.abc import Callable

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
    """A browser signed in to one shop's page (through the development shortcut)."""

    def sign_in(shop: Shop) -> FlaskClient:
        browser = app.test_client()
        assert browser.get(f"/embedded/dev-login/{shop.id}").status_code == 302
        return browser

    return sign_in


@pytest.fixture()
def csrf_on(app: Flask):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False
