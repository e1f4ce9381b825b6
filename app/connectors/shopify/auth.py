"""Shopify app credentials and shop access tokens (expiring offline tokens).

Token exchange and refresh are done by ``shopifyapp``; this module stores what it returns in
``shop.credentials`` (encrypted) and decides when to refresh: a few minutes before expiry, and
once on a 401. The authorization-code install (outside the embedded admin) is checked here too.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from flask import current_app
from shopify_app import ShopifyApp
from sqlalchemy.orm import Session

from app.logs import fields as log_fields
from app.models import Shop, db, utcnow

log = logging.getLogger(__name__)
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$")
REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_REFUSED = "refresh_refused_at"  # in credentials: Shopify refused our refresh token
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class AuthError(RuntimeError):
    """Shopify refused a token request, or the shop must re-authorize the app."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # shopifyapp's log code, e.g. "invalid_subject_token"


def app_client() -> ShopifyApp:
    cfg = current_app.config
    return ShopifyApp(
        client_id=cfg["SHOPIFY_API_KEY"],
        client_secret=cfg["SHOPIFY_API_SECRET"],
        old_client_secret=cfg.get("SHOPIFY_PREVIOUS_API_SECRET") or None,
    )


def http_client() -> httpx.Client:
    """The HTTP client handed to ``shopifyapp``; tests install a transport that fakes Shopify."""
    transport = current_app.extensions.get("shopify_http_transport")
    return httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0), transport=transport)


def is_shop_domain(domain: str | None) -> bool:
    """Only ``*.myshopify.com`` hosts: also what keeps our outbound calls off private hosts."""
    return bool(domain and SHOP_DOMAIN.match(domain))


def shop_name(domain: str) -> str:
    return domain.removesuffix(".myshopify.com")


def _expiry(text: str | None) -> datetime | None:
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC) if text else None


def credentials_from(token: Any) -> dict[str, Any]:
    """What we keep of a ``TokenExchangeAccessToken`` (expiry times as ISO strings)."""
    return {
        "access_token": token.token,
        "expires": token.expires,
        "refresh_token": token.refresh_token,
        "refresh_token_expires": token.refresh_token_expires,
        "scope": token.scope,
    }


def exchange_id_token(id_token: Any) -> dict[str, Any]:
    """Trade a verified ID token for an expiring offline token (``expiring=1``)."""
    with http_client() as client:
        result = app_client().exchange_using_token_exchange(
            "offline", id_token=id_token, expiring=True, http_client=client
        )
    if not result.ok or result.access_token is None:
        raise AuthError(
            f"token exchange failed: {result.log.code}: {result.log.detail}", result.log.code
        )
    return credentials_from(result.access_token)


def access_token(shop: Shop) -> str:
    """A usable access token, refreshed first when it expires within a few minutes."""
    creds = shop.credentials
    token = creds.get("access_token")
    if not token:
        raise AuthError(f"shop {shop.domain} has no access token; it must reinstall the app")
    expires = _expiry(creds.get("expires"))
    if expires is not None and expires - utcnow() < REFRESH_MARGIN:
        return refresh(shop, stale_token=token)
    return str(token)


def refresh(shop: Shop, stale_token: str) -> str:
    """Refresh the shop's token and store the rotated pair; returns the new access token.

    Runs in its own transaction holding the shop row lock, so the rotated refresh token is
    saved even if the caller's work later rolls back (the old one is already dead), and two
    workers refreshing at once do not burn each other's refresh token. Callers must not hold
    the shop row lock themselves (the second session would wait for it).
    """
    refused: AuthError | None = None
    with Session(db.engine) as session, session.begin():
        row = session.scalars(sa.select(Shop).where(Shop.id == shop.id).with_for_update()).one()
        creds = row.credentials
        if creds.get("access_token") and creds["access_token"] != stale_token:
            fresh = str(creds["access_token"])  # another worker refreshed it meanwhile
        else:
            try:
                fresh = _refresh_with_shopify(row, creds)
            except AuthError as exc:
                # Kept (committed with this block): the next time the merchant opens the app,
                # its session token is exchanged for new tokens (``tokens_lost``).
                row.credentials = {**creds, REFRESH_REFUSED: utcnow().strftime(_TIME_FORMAT)}
                refused = exc
    db.session.expire(shop, ["credentials_encrypted"])
    if refused is not None:
        raise refused
    return fresh


def tokens_lost(credentials: Mapping[str, Any]) -> bool:
    """No refresh can renew these tokens any more: the refresh token has expired (90 days
    unused) or is about to, or Shopify refused it. Only a new token exchange, from a session
    token the merchant's admin hands us when they open the app, gets the shop working again."""
    if not credentials.get("refresh_token") or credentials.get(REFRESH_REFUSED):
        return True
    expires = _expiry(credentials.get("refresh_token_expires"))
    return expires is not None and expires - utcnow() < REFRESH_MARGIN


def _refresh_with_shopify(row: Shop, creds: dict[str, Any]) -> str:
    if not creds.get("refresh_token"):
        raise AuthError(f"shop {row.domain} has no refresh token; it must reinstall the app")
    request = {
        "access_mode": "offline",
        "shop": shop_name(row.domain),
        "refresh_token": creds["refresh_token"],
        # No expiry given: we decide when to refresh (early, or after a 401), not the library.
        "expires": None,
        "refresh_token_expires": creds.get("refresh_token_expires"),
    }
    with http_client() as client:
        result = app_client().refresh_token_exchanged_access_token(request, http_client=client)
    if not result.ok or result.access_token is None:
        raise AuthError(
            f"token refresh failed for {row.domain}: {result.log.code}: {result.log.detail}"
        )
    row.credentials = {**creds, **credentials_from(result.access_token)}
    log.info("shopify token refreshed", extra=log_fields(shop=row.id))
    return str(result.access_token.token)


def verify_query_hmac(params: Mapping[str, str]) -> bool:
    """The install/callback URL's ``hmac``: hex HMAC-SHA256 of the other params, sorted."""
    given = params.get("hmac", "")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac",))
    cfg = current_app.config
    secrets = [cfg["SHOPIFY_API_SECRET"], cfg.get("SHOPIFY_PREVIOUS_API_SECRET")]
    return any(
        secret
        and hmac.compare_digest(
            hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest(), given
        )
        for secret in secrets
    )


def exchange_authorization_code(domain: str, code: str) -> dict[str, Any]:
    """Authorization-code grant (non-embedded installs); ``shopifyapp`` has no helper for it."""
    cfg = current_app.config
    body = {
        "client_id": cfg["SHOPIFY_API_KEY"],
        "client_secret": cfg["SHOPIFY_API_SECRET"],
        "code": code,
        "expiring": 1,
    }
    with http_client() as client:
        response = client.post(f"https://{domain}/admin/oauth/access_token", json=body)
    if response.status_code != 200:
        raise AuthError(f"authorization code exchange for {domain} failed: {response.status_code}")
    data = response.json()
    now = utcnow()

    def after(seconds: Any) -> str | None:
        return (now + timedelta(seconds=int(seconds))).strftime(_TIME_FORMAT) if seconds else None

    return {
        "access_token": data["access_token"],
        "expires": after(data.get("expires_in")),
        "refresh_token": data.get("refresh_token"),
        "refresh_token_expires": after(data.get("refresh_token_expires_in")),
        "scope": data.get("scope", ""),
    }
