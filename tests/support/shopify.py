"""Shopify test fixtures: a fake Shopify behind ``responses``, a Shopify shop, signed webhooks.

``shopifyapp`` speaks HTTP through httpx; the transport below hands each request to
``requests`` so that ``responses`` (our one HTTP faker) answers it, streaming bodies included.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from app.models import Shop
from tests.conftest import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "shopify"
DOMAIN = "storeflow-test.myshopify.com"
GRAPHQL_URL = f"https://{DOMAIN}/admin/api/2026-10/graphql.json"
TOKEN_URL = f"https://{DOMAIN}/admin/oauth/access_token"
SCOPES = (
    "read_products,read_orders,read_customers,write_discounts,read_fulfillments,"
    "write_merchant_managed_fulfillment_orders,write_pixels,read_customer_events"
)


def load(name: str, **changes: Any) -> dict[str, Any]:
    """A documented sample payload, with only the named top-level fields changed."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    data = copy.deepcopy(data)
    data.update(changes)
    return data


class _Body(httpx.SyncByteStream):
    def __init__(self, response: requests.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_content(chunk_size=64 * 1024)

    def close(self) -> None:
        self._response.close()


class ResponsesTransport(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = requests.request(
            request.method,
            str(request.url),
            headers=dict(request.headers),
            data=request.read(),
            stream=True,
            timeout=10,
        )
        headers = [(k, v) for k, v in answer.headers.items() if k.lower() != "content-encoding"]
        return httpx.Response(answer.status_code, headers=headers, stream=_Body(answer))


@pytest.fixture()
def shopify_http(app: Flask) -> Iterator[responses.RequestsMock]:
    """Every outbound Shopify call answered by ``responses``; unmatched calls fail the test."""
    app.extensions["shopify_http_transport"] = ResponsesTransport()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
    app.extensions.pop("shopify_http_transport", None)


def fresh_credentials(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    creds = {
        "access_token": "shpat_current",
        "expires": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "refresh_token": "shprt_current",
        "refresh_token_expires": (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scope": SCOPES,
    }
    creds.update(changes)
    return creds


@pytest.fixture()
def shopify_shop(make_shop: Callable[..., Shop]) -> Shop:
    return make_shop(
        platform="shopify",
        domain=DOMAIN,
        currency="USD",
        locale="en",
        credentials=fresh_credentials(),
    )


@pytest.fixture()
def post_shopify_webhook(client: FlaskClient, app: Flask) -> Callable[..., Any]:
    """POST a delivery the way Shopify does: raw JSON body, base64 HMAC with the app secret."""

    def post(
        topic: str,
        payload: Any,
        *,
        webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        secret: str | None = None,
        domain: str = DOMAIN,
        lower_case: bool = False,
    ) -> Any:
        body = json.dumps(payload).encode()
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret or app.config["SHOPIFY_API_SECRET"], body),
            "X-Shopify-Shop-Domain": domain,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
            "X-Shopify-Triggered-At": "2026-11-20T10:00:00.000000Z",
            "X-Shopify-API-Version": "2026-10",
        }
        if lower_case:
            headers = {k.lower(): v for k, v in headers.items()}
        return client.post(
            "/webhooks/shopify", data=body, headers={"Content-Type": "application/json", **headers}
        )

    return post


def id_token(app: Flask, domain: str = DOMAIN, **changes: Any) -> str:
    """An ID token as the Shopify admin issues it: HS256 with the app secret."""
    import jwt

    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": f"https://{domain}/admin",
        "dest": f"https://{domain}",
        "aud": app.config["SHOPIFY_API_KEY"],
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now,
        "jti": "8f6c1a2e-7d3b-4c7e-9a51-0d2f6b1e3c44",
        "sid": "aaea182f2732d44c23057c0fea584021a4485b2bd25d3eb7fd349313ad24c685",
    }
    claims.update(changes)
    return jwt.encode(claims, app.config["SHOPIFY_API_SECRET"], algorithm="HS256")


class FakeShopify:
    """Shopify's Admin GraphQL as a small stateful fake: it remembers webhook subscriptions
    and bulk operations, and records every operation it was asked for."""

    def __init__(self, rsps: responses.RequestsMock, domain: str = DOMAIN) -> None:
        self.subscriptions: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.bulk_url = (
            "https://storage.googleapis.com/shopify-tiers-assets-prod-us-east1/bulk.jsonl"
        )
        self.bulk_object_count = 0
        # The shop's primary domain; without a custom one Shopify names the myshopify domain.
        self.primary_domain_url = f"https://{domain}"
        self.queued: list[tuple[int, dict[str, Any]]] = []  # (status, body) answered first
        self.web_pixel: dict[str, Any] | None = None  # the app's pixel in this shop, once made
        rsps.add_callback(
            responses.POST,
            f"https://{domain}/admin/api/2026-10/graphql.json",
            callback=self._answer,
            content_type="application/json",
        )

    def operations(self) -> list[str]:
        return [call["operation"] for call in self.calls]

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        query, variables = body["query"], body.get("variables") or {}
        operation = query.split("(")[0].split("{")[0].split()[-1]
        self.calls.append(
            {
                "operation": operation,
                "query": query,
                "variables": variables,
                "token": request.headers.get("X-Shopify-Access-Token"),
            }
        )
        if self.queued:
            status, answer = self.queued.pop(0)
            return status, {}, json.dumps(answer)
        return 200, {}, json.dumps(self._data(operation, variables))

    def _data(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        if operation == "Subscriptions":
            page = {"hasNextPage": False, "endCursor": None}
            return {
                "data": {"webhookSubscriptions": {"nodes": self.subscriptions, "pageInfo": page}}
            }
        if operation == "CreateSubscription":
            node = {
                "id": f"gid://shopify/WebhookSubscription/{len(self.subscriptions) + 1}",
                "topic": variables["topic"],
                "uri": variables["sub"]["uri"],
                "metafieldNamespaces": variables["sub"].get("metafieldNamespaces") or [],
            }
            self.subscriptions.append(node)
            return {
                "data": {
                    "webhookSubscriptionCreate": {"webhookSubscription": node, "userErrors": []}
                }
            }
        if operation == "UpdateSubscription":
            (node,) = [n for n in self.subscriptions if n["id"] == variables["id"]]
            node.update(variables["sub"])
            return {
                "data": {
                    "webhookSubscriptionUpdate": {"webhookSubscription": node, "userErrors": []}
                }
            }
        if operation == "RunBulk":
            op = {"id": "gid://shopify/BulkOperation/720918", "status": "CREATED"}
            return {"data": {"bulkOperationRunQuery": {"bulkOperation": op, "userErrors": []}}}
        if operation == "Bulk":
            node = {
                "id": variables["id"],
                "status": "COMPLETED",
                "errorCode": None,
                "objectCount": str(self.bulk_object_count),
                "url": self.bulk_url,
                "partialDataUrl": None,
            }
            shop = {"primaryDomain": {"url": self.primary_domain_url}}
            return {"data": {"node": node, "shop": shop}}
        if operation in ("WebPixelCreate", "WebPixel", "WebPixelUpdate"):
            return self._web_pixel(operation, variables)
        return self.other(operation, variables)

    def _web_pixel(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        """One pixel per app and shop, as Shopify keeps it; bodies from the documented answers
        (tests/fixtures/shopify/web_pixel*.json) with the settings we were sent."""
        if operation == "WebPixel":
            answer = load("web_pixel")
            answer["data"]["webPixel"] = copy.deepcopy(self.web_pixel)
            return answer
        if operation == "WebPixelCreate" and self.web_pixel is not None:
            return load("web_pixel_create_taken")
        settings = variables["webPixel"]["settings"]
        if operation == "WebPixelCreate":
            answer, key = load("web_pixel_create"), "webPixelCreate"
            self.web_pixel = {**answer["data"][key]["webPixel"], "settings": settings}
        else:
            answer, key = load("web_pixel_update"), "webPixelUpdate"
            assert self.web_pixel is not None and variables["id"] == self.web_pixel["id"]
            self.web_pixel = {**self.web_pixel, "settings": settings}
        answer["data"][key]["webPixel"] = copy.deepcopy(self.web_pixel)
        return answer

    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError(f"unexpected GraphQL operation {operation}")
