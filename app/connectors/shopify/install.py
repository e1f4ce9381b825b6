"""Installing a shop: store its tokens, then (in a job) subscribe webhooks and sync the catalog.

Both install paths end in ``connect``: the embedded app home (ID token -> token exchange)
and the authorization-code grant. Platform calls beyond the token request happen in the
``setup_shop`` job, enqueued after the commit, so the merchant's page loads fast. The views in
``app/web/shopify_app.py`` only verify the request and answer.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from rq import Retry

from app.connectors.shopify import auth, catalog, history, webhooks
from app.connectors.shopify.graphql import AdminClient
from app.connectors.shopify.pixel import switch_on as pixel_switch_on
from app.connectors.shopify.shops import find_or_create_shop
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)
CALLBACK_PATH = "/shopify/callback"


def needs_tokens(shop: Shop) -> bool:
    """A new, uninstalled or token-less shop, one whose refresh token expired or was refused
    (nothing else can renew it), or one whose token lacks a scope we now ask for (the
    merchant approved new scopes), must go through token exchange again."""
    credentials = shop.credentials
    if shop.status != "active" or auth.tokens_lost(credentials):
        return True
    granted = {s.strip() for s in str(credentials.get("scope", "")).split(",")}
    return not set(current_app.config["SHOPIFY_SCOPES"]) <= granted


def install_with_id_token(domain: str, id_token: Any) -> Shop:
    """App home with a verified ID token: exchange it when we hold no live tokens."""
    shop = find_or_create_shop(domain)
    if needs_tokens(shop):
        connect(shop, auth.exchange_id_token(id_token))
    db.session.commit()
    return shop


def authorize_url(domain: str, state: str) -> str:
    """Where the authorization-code install asks the merchant for consent."""
    query = urlencode(
        {
            "client_id": current_app.config["SHOPIFY_API_KEY"],
            "scope": ",".join(current_app.config["SHOPIFY_SCOPES"]),
            "redirect_uri": f"{current_app.config['PUBLIC_URL']}{CALLBACK_PATH}",
            "state": state,
        }
    )
    return f"https://{domain}/admin/oauth/authorize?{query}"


def install_with_code(domain: str, code: str) -> str:
    """The authorization-code grant's last step; the shop's app page in the admin.

    Raises ``auth.AuthError`` when Shopify refuses the code.
    """
    credentials = auth.exchange_authorization_code(domain, code)
    connect(find_or_create_shop(domain), credentials)
    db.session.commit()
    api_key = current_app.config["SHOPIFY_API_KEY"]
    return f"https://admin.shopify.com/store/{auth.shop_name(domain)}/apps/{api_key}"


def connect(shop: Shop, credentials: dict[str, Any]) -> None:
    """Store the tokens (encrypted), mark the shop active, and set it up after the commit."""
    shop.credentials = credentials
    shop.status = "active"
    shop.installed_at = utcnow()
    shop.uninstalled_at = None
    db.session.flush()
    queues.enqueue_after_commit(
        db.session(), setup_shop, shop.id, job_id=f"shopify-setup-{shop.id}"
    )
    log.info("shopify shop installed", extra=log_fields(shop=shop.id))


@queues.job("sync", timeout=300, retry=Retry(max=3, interval=[60, 300, 900]))
def setup_shop(shop_id: int) -> str:
    """Subscribe webhooks (idempotent), start the full catalog sync and the order history
    import, and switch the storefront pixel on (created, or updated when one is there). Safe
    to run twice."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return "skipped"
    client = AdminClient(shop)
    created = webhooks.ensure_webhooks(shop, client)
    catalog.start_full_sync(shop, client)
    # The orders placed before now are history: imported beside the catalog, in a job of its own.
    queues.enqueue_after_commit(
        db.session(), history.start_history_job, shop.id, job_id=f"shopify-history-{shop.id}"
    )
    db.session.commit()
    pixel = pixel_switch_on(shop, client)
    log.info(
        "shopify shop set up",
        extra=log_fields(shop=shop_id, subscriptions_created=created, pixel=pixel),
    )
    return "done"
