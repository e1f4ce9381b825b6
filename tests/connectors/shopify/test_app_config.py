"""shopify.app.toml and the code agree on scopes, API version and webhook topics."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.config import load
from app.connectors.shopify.mapping import HANDLERS
from app.connectors.shopify.webhooks import API_TOPICS, APP_CONFIG_TOPICS

TOML = Path(__file__).resolve().parents[3] / "shopify.app.toml"


def test_app_toml_declares_the_compliance_topics_and_the_uninstall():
    config = tomllib.loads(TOML.read_text())
    declared = set()
    for subscription in config["webhooks"]["subscriptions"]:
        declared |= set(subscription.get("compliance_topics", []))
        declared |= set(subscription.get("topics", []))
    assert declared == APP_CONFIG_TOPICS
    assert {"customers/data_request", "customers/redact", "shop/redact"} <= declared


def test_every_handled_topic_is_subscribed_exactly_once():
    assert set(API_TOPICS) | APP_CONFIG_TOPICS == set(HANDLERS)
    assert not set(API_TOPICS) & APP_CONFIG_TOPICS


def test_app_toml_scopes_and_version_match_the_default_settings():
    config = tomllib.loads(TOML.read_text())
    settings = load({"STOREFLOW_ENV": "development"})
    assert config["access_scopes"]["scopes"].split(",") == settings["SHOPIFY_SCOPES"]
    assert config["webhooks"]["api_version"] == settings["SHOPIFY_API_VERSION"]


def test_order_edits_refunds_and_fulfilments_are_subscribed_per_shop():
    wanted = {"orders/updated", "refunds/create", "fulfillments/create", "fulfillments/update"}
    assert wanted <= set(API_TOPICS)
    # Fulfilment topics need their own read scope, asked for at install.
    assert "read_fulfillments" in load({"STOREFLOW_ENV": "development"})["SHOPIFY_SCOPES"]
