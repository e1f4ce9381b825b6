"""Admin GraphQL calls for one shop: cost-based throttling, one refresh on 401, clear errors.

``shopifyapp.admin_graphql_request`` sends the request (and retries 429 and 5xx itself); this
wrapper adds what it leaves to the app: waiting out ``THROTTLED`` using the bucket's restore
rate, refreshing an expired token once, and naming the shop and operation in every error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

from app.connectors.shopify import auth
from app.logs import fields as log_fields
from app.models import Shop

log = logging.getLogger(__name__)


class ShopifyApiError(RuntimeError):
    """A GraphQL call failed; the message names the shop and the operation."""

    def __init__(self, shop_domain: str, operation: str, message: str) -> None:
        super().__init__(f"Shopify {operation} for {shop_domain} failed: {message}")
        self.shop_domain = shop_domain
        self.operation = operation


def _body(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_throttled(body: dict[str, Any]) -> bool:
    return any(
        (error.get("extensions") or {}).get("code") == "THROTTLED"
        for error in body.get("errors") or []
        if isinstance(error, dict)
    )


def throttle_wait(body: dict[str, Any]) -> float:
    """Seconds until the bucket holds enough points for the query that was refused."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 0)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50)
    return max(1.0, (needed - available) / rate)


class AdminClient:
    """GraphQL Admin API client for one shop, on the pinned API version."""

    def __init__(
        self,
        shop: Shop,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_throttle_waits: int = 5,
    ) -> None:
        if not auth.is_shop_domain(shop.domain):
            raise ShopifyApiError(shop.domain, "setup", "not a *.myshopify.com shop domain")
        self.shop = shop
        self.sleep = sleep
        self.max_throttle_waits = max_throttle_waits

    def execute(
        self, operation: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run a query or mutation; returns ``data``. Raises ShopifyApiError on failure."""
        try:
            token = auth.access_token(self.shop)
        except auth.AuthError as exc:
            raise ShopifyApiError(self.shop.domain, operation, str(exc)) from exc
        refreshed, waits = False, 0
        while True:
            result = self._send(query, token, variables)
            if result.ok:
                self._pace(result.extensions or {})
                return dict(result.data or {})
            body = _body(result.response.body)
            if result.response.status == 401 and not refreshed:
                token, refreshed = self._refresh(operation, token), True
                continue
            if _is_throttled(body) and waits < self.max_throttle_waits:
                wait = throttle_wait(body)
                log.info(
                    "shopify throttled; waiting",
                    extra=log_fields(shop=self.shop.id, operation=operation, seconds=wait),
                )
                self.sleep(wait)
                waits += 1
                continue
            raise ShopifyApiError(self.shop.domain, operation, _describe(result, body))

    def _pace(self, extensions: dict[str, Any]) -> None:
        """Stay inside the budget: when the bucket could not pay for this query again, wait
        until it can, rather than let the next call be refused."""
        wait = throttle_wait({"extensions": extensions})
        cost = extensions.get("cost") or {}
        available = (cost.get("throttleStatus") or {}).get("currentlyAvailable")
        if available is not None and float(available) < float(cost.get("requestedQueryCost") or 0):
            self.sleep(wait)

    def _send(self, query: str, token: str, variables: dict[str, Any] | None) -> Any:
        with auth.http_client() as client:
            return auth.app_client().admin_graphql_request(
                query,
                shop=auth.shop_name(self.shop.domain),
                access_token=token,
                api_version=current_app.config["SHOPIFY_API_VERSION"],
                variables=variables,
                http_client=client,
            )

    def _refresh(self, operation: str, stale: str) -> str:
        try:
            return auth.refresh(self.shop, stale_token=stale)
        except auth.AuthError as exc:
            raise ShopifyApiError(self.shop.domain, operation, str(exc)) from exc


def _describe(result: Any, body: dict[str, Any]) -> str:
    messages = [e.get("message", "") for e in body.get("errors") or [] if isinstance(e, dict)]
    detail = "; ".join(m for m in messages if m) or result.log.detail
    return f"HTTP {result.response.status} ({result.log.code}): {detail}"


def user_errors(shop: Shop, operation: str, payload: dict[str, Any] | None) -> dict[str, Any]:
    """A mutation's payload, or ShopifyApiError when it carries ``userErrors``."""
    if payload is None:
        raise ShopifyApiError(shop.domain, operation, "empty mutation payload")
    errors = payload.get("userErrors") or []
    if errors:
        text = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
        raise ShopifyApiError(shop.domain, operation, text)
    return payload
