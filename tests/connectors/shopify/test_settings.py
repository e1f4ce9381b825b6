"""Shopify settings: a pinned API version, and no default app secret in production."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load
from tests.conftest import production_env


def _production_env() -> dict[str, str]:
    return production_env(missing="SHOPIFY_API_SECRET")


def test_production_refuses_to_start_without_the_shopify_app_secret():
    with pytest.raises(ConfigError, match="STOREFLOW_SHOPIFY_API_SECRET"):
        load(_production_env())
    settings = load({**_production_env(), "STOREFLOW_SHOPIFY_API_SECRET": "shpss_live"})
    assert settings["SHOPIFY_API_SECRET"] == "shpss_live"


@pytest.mark.parametrize("value", ["2026-11", "26-10", "latest", "2026-1"])
def test_api_version_must_be_a_quarterly_release(value):
    with pytest.raises(ConfigError, match="STOREFLOW_SHOPIFY_API_VERSION"):
        load({"STOREFLOW_SHOPIFY_API_VERSION": value})


def test_scopes_and_previous_secret_are_read_from_the_environment():
    settings = load(
        {
            "STOREFLOW_SHOPIFY_SCOPES": "read_products, read_orders",
            "STOREFLOW_SHOPIFY_PREVIOUS_API_SECRET": "old",
            "STOREFLOW_SHOPIFY_API_VERSION": "2027-01",
        }
    )
    assert settings["SHOPIFY_SCOPES"] == ["read_products", "read_orders"]
    assert (settings["SHOPIFY_PREVIOUS_API_SECRET"], settings["SHOPIFY_API_VERSION"]) == (
        "old",
        "2027-01",
    )
