"""Webhook subscriptions made through the API, kept whole by a daily reconcile.

Compliance topics cannot be subscribed by API: they live in ``shopify.app.toml``. Shopify
may delete API-made subscriptions that keep failing, so the reconcile job recreates missing
ones and backfills orders and abandoned checkouts changed since the newest one we hold.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from app.connectors.shopify.graphql import AdminClient, user_errors
from app.connectors.shopify.mapping import COMPLIANCE_TOPICS, HANDLERS
from app.logs import fields as log_fields
from app.models import Shop

log = logging.getLogger(__name__)

# Declared in shopify.app.toml instead: compliance topics (only possible there) and the
# uninstall (app-config subscriptions are never removed by Shopify).
APP_CONFIG_TOPICS = COMPLIANCE_TOPICS | {"app/uninstalled"}
# REST-style topic names (what webhooks carry) of everything we subscribe to by API.
API_TOPICS = tuple(sorted(set(HANDLERS) - APP_CONFIG_TOPICS))

LIST_SUBSCRIPTIONS = """
query Subscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CREATE_SUBSCRIPTION = """
mutation CreateSubscription($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""


def graphql_topic(topic: str) -> str:
    """``checkouts/create`` -> ``CHECKOUTS_CREATE`` (the WebhookSubscriptionTopic enum)."""
    return topic.replace("/", "_").upper()


def callback_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/webhooks/shopify"


def existing_subscriptions(client: AdminClient) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        data = client.execute("webhookSubscriptions", LIST_SUBSCRIPTIONS, {"after": after})
        page = data["webhookSubscriptions"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def ensure_subscriptions(shop: Shop, client: AdminClient) -> list[str]:
    """Create the subscriptions our callback lacks; returns the topics created."""
    uri = callback_url()
    have = {node["topic"] for node in existing_subscriptions(client) if node.get("uri") == uri}
    created = []
    for topic in API_TOPICS:
        enum = graphql_topic(topic)
        if enum in have:
            continue
        data = client.execute(
            "webhookSubscriptionCreate",
            CREATE_SUBSCRIPTION,
            {"topic": enum, "sub": {"uri": uri}},
        )
        user_errors(shop, "webhookSubscriptionCreate", data.get("webhookSubscriptionCreate"))
        created.append(topic)
    if created:
        log.info("shopify webhooks subscribed", extra=log_fields(shop=shop.id, topics=created))
    return created
