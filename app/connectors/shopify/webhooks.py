"""Deliveries Shopify sends us (read and verified), and the subscriptions that send them.

Subscriptions are made through the API and kept whole by a daily reconcile. Compliance
topics cannot be subscribed by API: they live in ``shopify.app.toml``. Shopify may delete
API-made subscriptions that keep failing, so the reconcile job recreates missing ones and
backfills orders and abandoned checkouts changed since the newest one we hold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app

from app.connectors.base import Envelope, EnvelopeError, header, verify_base64_hmac
from app.connectors.shopify import auth
from app.connectors.shopify.graphql import AdminClient, user_errors
from app.connectors.shopify.mapping import COMPLIANCE_TOPICS, HANDLERS
from app.logs import fields as log_fields
from app.models import Shop, birthday_metafield

log = logging.getLogger(__name__)
KEPT_HEADERS = (
    "X-Shopify-Topic",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Webhook-Id",
    "X-Shopify-Event-Id",
    "X-Shopify-Triggered-At",
    "X-Shopify-API-Version",
)

# Declared in shopify.app.toml instead: compliance topics (only possible there) and the
# uninstall (app-config subscriptions are never removed by Shopify).
APP_CONFIG_TOPICS = COMPLIANCE_TOPICS | {"app/uninstalled"}
# REST-style topic names (what webhooks carry) of everything we subscribe to by API.
API_TOPICS = tuple(sorted(set(HANDLERS) - APP_CONFIG_TOPICS))

LIST_SUBSCRIPTIONS = """
query Subscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri metafieldNamespaces }
    pageInfo { hasNextPage endCursor }
  }
}
"""

UPDATE_SUBSCRIPTION = """
mutation UpdateSubscription($id: ID!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $sub) {
    webhookSubscription { id topic uri metafieldNamespaces }
    userErrors { field message }
  }
}
"""
# Customer bodies carry only the metafields of the namespaces their subscription names: the
# birthday flow's metafield (``ShopRef.birthday_metafield``) must be among them.
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})

CREATE_SUBSCRIPTION = """
mutation CreateSubscription($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""


def read_envelope(headers: Mapping[str, str], body: bytes) -> Envelope:
    """Routing facts; when they are missing or wrong, the HMAC is checked first (one app
    secret signs every shop's deliveries, so we can): a forged request is refused as forged
    (SignatureError, 401) whatever headers it left out, as Shopify's review expects."""
    values = {name: header(headers, name) for name in KEPT_HEADERS}
    required = ("X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-Webhook-Id")
    missing = [name for name in required if not values[name]]
    domain = str(values["X-Shopify-Shop-Domain"] or "").lower()
    if missing or not auth.is_shop_domain(domain):
        verify(headers, body)
    if missing:
        raise EnvelopeError(f"missing headers: {', '.join(missing)}")
    if not auth.is_shop_domain(domain):
        raise EnvelopeError(f"not a myshopify.com shop domain: {domain!r}")
    return Envelope(
        shop_domain=domain,
        topic=str(values["X-Shopify-Topic"]),
        delivery_id=str(values["X-Shopify-Webhook-Id"]),
        headers={k: v for k, v in values.items() if v},
    )


def verify(headers: Mapping[str, str], body: bytes) -> None:
    """Signed with the app's secret (one for all shops), so an unknown shop still verifies.

    The HMAC of the raw bytes, checked here rather than by ``shopifyapp.verify_webhook_req``:
    that one parses the body as JSON (to redact its log copy) before it checks the signature,
    so any sender could make us parse 8 MB, and a deeply nested body raised a 500."""
    config = current_app.config
    secrets = (config["SHOPIFY_API_SECRET"], config.get("SHOPIFY_PREVIOUS_API_SECRET") or "")
    verify_base64_hmac(secrets, body, header(headers, "X-Shopify-Hmac-Sha256"))


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


def _subscription(shop: Shop, topic: str, uri: str) -> dict[str, Any]:
    if topic not in CUSTOMER_TOPICS:
        return {"uri": uri}
    namespace = birthday_metafield(shop.id).partition(".")[0]
    return {"uri": uri, "metafieldNamespaces": [namespace]}


def ensure_webhooks(shop: Shop, client: AdminClient) -> list[str]:
    """Create the subscriptions our callback lacks, and give the customer ones the birthday
    metafield's namespace when they lack it; returns the topics created or changed."""
    uri = callback_url()
    have = {
        node["topic"]: node for node in existing_subscriptions(client) if node.get("uri") == uri
    }
    created = []
    for topic in API_TOPICS:
        enum, wanted = graphql_topic(topic), _subscription(shop, topic, uri)
        node = have.get(enum)
        if node is None:
            data = client.execute(
                "webhookSubscriptionCreate",
                CREATE_SUBSCRIPTION,
                {"topic": enum, "sub": wanted},
            )
            user_errors(shop, "webhookSubscriptionCreate", data.get("webhookSubscriptionCreate"))
            created.append(topic)
        elif set(wanted.get("metafieldNamespaces", ())) - set(
            node.get("metafieldNamespaces") or ()
        ):
            data = client.execute(
                "webhookSubscriptionUpdate",
                UPDATE_SUBSCRIPTION,
                {"id": node["id"], "sub": wanted},
            )
            user_errors(shop, "webhookSubscriptionUpdate", data.get("webhookSubscriptionUpdate"))
            created.append(topic)
    if created:
        log.info("shopify webhooks subscribed", extra=log_fields(shop=shop.id, topics=created))
    return created
