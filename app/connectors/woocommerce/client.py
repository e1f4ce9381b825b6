"""A thin REST client for one WooCommerce store, and the guard on store addresses.

Outbound calls go only to public addresses (outside tests): a store URL is merchant input,
and following it to 127.0.0.1 or 10.x would let anyone probe our own network.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard
from urllib.parse import urlparse

import requests
from flask import current_app
from woocommerce import API

from app.models import Shop
from app.outbound import PrivateAddressError, refuse_private_host

TIMEOUT_SECONDS = 30  # the package's 5 s default is too short for a busy shared host
PER_PAGE = 100  # WooCommerce's maximum


class StoreAddressError(ValueError):
    """The store URL is malformed or points at a private, loopback or unknown address."""


class StoreApiError(RuntimeError):
    """The store answered a REST call with an error status."""

    def __init__(self, message: str, status: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def store_domain(url: str) -> str:
    """How a store is named in ``shops.domain``: host[:port][/path], lower-case, no slash."""
    try:
        parsed = urlparse(url.strip() if "//" in url else f"https://{url.strip()}")
        port = parsed.port  # raises ValueError on a port that is not 0-65535
    except ValueError:
        raise StoreAddressError(f"not a store URL: {url!r}") from None
    if not parsed.hostname:
        raise StoreAddressError(f"not a store URL: {url!r}")
    host = parsed.hostname.lower() + (f":{port}" if port else "")
    return host + parsed.path.rstrip("/")


def check_store_url(url: str) -> str:
    """The store URL without a trailing slash, refused unless it is http(s) on a public host."""
    store_domain(url)  # refuses what urlparse cannot read (bad port, broken IPv6 literal)
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise StoreAddressError(f"store URL must be http(s)://host, got {url!r}")
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise StoreAddressError("store URL must not carry credentials, a query or a fragment")
    if not current_app.config.get("ALLOW_PRIVATE_STORE_URLS"):
        try:
            refuse_private_host(parsed.hostname, "store host")
        except PrivateAddressError as exc:
            raise StoreAddressError(str(exc)) from None
    return url.strip().rstrip("/")


def is_reachable_store(shop: Shop | None) -> TypeGuard[Shop]:
    """A connected WooCommerce store we hold REST keys for (the demo store has none)."""
    return (
        shop is not None
        and shop.platform == "woocommerce"
        and shop.status == "active"
        and bool(shop.credentials.get("consumer_key"))
    )


class StoreClient:
    """REST calls for one connected store; keys come from the shop's encrypted credentials."""

    def __init__(
        self, shop: Shop, namespace: str = "wc/v3", keys: dict[str, str] | None = None
    ) -> None:
        """``keys``: REST keys not stored as the shop's yet (the ones a connect must prove)."""
        credentials = keys if keys is not None else shop.credentials
        self.url = check_store_url(shop.store_url)
        self.api = API(
            url=self.url,
            consumer_key=credentials.get("consumer_key", ""),
            consumer_secret=credentials.get("consumer_secret", ""),
            version=namespace,
            timeout=TIMEOUT_SECONDS,
        )

    def call(self, method: str, endpoint: str, data: Any = None, **params: Any) -> Any:
        return self.call_with_headers(method, endpoint, data, **params)[0]

    def call_with_headers(
        self, method: str, endpoint: str, data: Any = None, **params: Any
    ) -> tuple[Any, requests.structures.CaseInsensitiveDict[str]]:
        func = getattr(self.api, method.lower())
        args = (endpoint, data) if method.upper() in ("POST", "PUT") else (endpoint,)
        # Redirects are not followed: one could lead the keys to an address the guard refused.
        response = func(*args, params=params or None, allow_redirects=False)
        if response.status_code >= 300:
            code = _error_code(response)
            raise StoreApiError(
                f"{method} {endpoint} answered {response.status_code} {code or ''}".strip(),
                response.status_code,
                code,
            )
        return response.json(), response.headers

    def pages(self, endpoint: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, one after another (``X-WP-TotalPages`` says when to stop)."""
        page = 1
        while True:
            rows, headers = self.call_with_headers(
                "GET", endpoint, page=page, per_page=PER_PAGE, **params
            )
            yield rows
            if page >= int(headers.get("X-WP-TotalPages") or 1):
                return
            page += 1


def site_index(shop: Shop) -> dict[str, Any]:
    """WordPress's public REST index (``/wp-json/``): the site's name and timezone, no keys."""
    url = check_store_url(shop.store_url)
    response = requests.get(f"{url}/wp-json/", timeout=TIMEOUT_SECONDS, allow_redirects=False)
    if response.status_code >= 300:
        raise StoreApiError(f"GET /wp-json/ answered {response.status_code}", response.status_code)
    body = response.json()
    return body if isinstance(body, dict) else {}


def _error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None
