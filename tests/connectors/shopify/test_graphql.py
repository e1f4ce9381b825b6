"""The GraphQL client: token refresh before expiry and after a 401, throttling, clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses

from app.connectors.shopify.graphql import AdminClient, ShopifyApiError
from app.connectors.shopify.webhooks import existing_subscriptions
from app.models import Shop, db
from tests.support.shopify import TOKEN_URL, FakeShopify, fresh_credentials

REFRESHED = {
    "access_token": "shpat_refreshed",
    "expires_in": 3600,
    "refresh_token": "shprt_rotated",
    "refresh_token_expires_in": 7776000,
    "scope": "read_products,read_orders",
}
THROTTLED = {
    "errors": [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ],
    "extensions": {
        "cost": {
            "requestedQueryCost": 202,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 2,
                "restoreRate": 100.0,
            },
        }
    },
}


def _expired_shop(shopify_shop: Shop) -> Shop:
    past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    shopify_shop.credentials = fresh_credentials(expires=past)
    db.session.commit()
    return shopify_shop


def test_expired_access_token_is_refreshed_before_the_call(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, json=REFRESHED)
    shop = _expired_shop(shopify_shop)

    existing_subscriptions(AdminClient(shop))

    (refresh,) = [c for c in shopify_http.calls if c.request.url == TOKEN_URL]
    sent = json.loads(refresh.request.body)
    assert (sent["grant_type"], sent["refresh_token"]) == ("refresh_token", "shprt_current")
    assert fake.calls[0]["token"] == "shpat_refreshed"
    db.session.expire_all()
    stored = db.session.get(Shop, shop.id).credentials
    assert (stored["access_token"], stored["refresh_token"]) == ("shpat_refreshed", "shprt_rotated")


def test_unauthorized_call_refreshes_once_and_is_retried(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    fake.queued.append((401, {"errors": "[API] Invalid API key or access token"}))
    shopify_http.add(responses.POST, TOKEN_URL, json=REFRESHED)

    nodes = existing_subscriptions(AdminClient(shopify_shop))

    assert nodes == []
    assert [c["token"] for c in fake.calls] == ["shpat_current", "shpat_refreshed"]


def test_second_unauthorized_answer_raises_an_error_naming_shop_and_operation(
    shopify_shop, shopify_http
):
    fake = FakeShopify(shopify_http)
    fake.queued += [(401, {"errors": "invalid"}), (401, {"errors": "invalid"})]
    shopify_http.add(responses.POST, TOKEN_URL, json=REFRESHED)

    with pytest.raises(ShopifyApiError) as raised:
        existing_subscriptions(AdminClient(shopify_shop))

    assert "webhookSubscriptions" in str(raised.value)
    assert shopify_shop.domain in str(raised.value)
    assert "401" in str(raised.value)


def test_throttled_response_waits_for_the_restore_rate_and_retries(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    fake.queued.append((200, THROTTLED))
    waits: list[float] = []

    nodes = existing_subscriptions(AdminClient(shopify_shop, sleep=waits.append))

    assert nodes == []
    assert waits == [2.0]  # (202 needed - 2 available) / 100 restored per second
    assert fake.operations() == ["Subscriptions", "Subscriptions"]


def test_throttling_that_never_ends_gives_up_with_a_clear_error(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    fake.queued += [(200, THROTTLED)] * 3
    waits: list[float] = []

    with pytest.raises(ShopifyApiError, match="Throttled"):
        existing_subscriptions(AdminClient(shopify_shop, sleep=waits.append, max_throttle_waits=2))
    assert len(waits) == 2


def test_refresh_token_refused_means_the_shop_must_reinstall(shopify_shop, shopify_http):
    FakeShopify(shopify_http)
    shopify_http.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    shop = _expired_shop(shopify_shop)

    with pytest.raises(ShopifyApiError, match="token refresh failed"):
        existing_subscriptions(AdminClient(shop))
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).credentials["refresh_token"] == "shprt_current"


def test_refresh_skips_shopify_when_another_worker_already_refreshed(shopify_shop, shopify_http):
    from app.connectors.shopify import auth

    fresh = auth.refresh(shopify_shop, stale_token="shpat_replaced_meanwhile")

    assert fresh == "shpat_current"
    assert len(shopify_http.calls) == 0


def test_nearly_empty_cost_bucket_slows_the_next_call_down(shopify_shop, shopify_http):
    fake = FakeShopify(shopify_http)
    page = {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    cost = {
        "requestedQueryCost": 52,
        "actualQueryCost": 52,
        "throttleStatus": {
            "maximumAvailable": 2000.0,
            "currentlyAvailable": 12,
            "restoreRate": 100.0,
        },
    }
    fake.queued.append(
        (200, {"data": {"webhookSubscriptions": page}, "extensions": {"cost": cost}})
    )
    plenty = dict(cost, throttleStatus=dict(cost["throttleStatus"], currentlyAvailable=1900))
    fake.queued.append(
        (200, {"data": {"webhookSubscriptions": page}, "extensions": {"cost": plenty}})
    )
    waits: list[float] = []
    client = AdminClient(shopify_shop, sleep=waits.append)

    existing_subscriptions(client)
    existing_subscriptions(client)

    assert waits == [1.0]  # max(1 s, (52 - 12) / 100); nothing when the bucket is full
