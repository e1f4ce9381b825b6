"""Installing a shop: store its tokens, then (in a job) subscribe webhooks and sync the catalog.

Both install paths end in ``activate``: the embedded app home (ID token -> token exchange)
and the authorization-code grant. Platform calls beyond the token request happen in the
``setup_shop`` job, enqueued after the commit, so the merchant's page loads fast.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from rq import Retry

from app.connectors.shopify import auth
from app.logs import fields as log_fields
from app.models import Shop, db, utcnow
from app.pipeline import queues

log = logging.getLogger(__name__)


def find_or_create_shop(domain: str) -> Shop:
    shop = db.session.scalars(
        sa.select(Shop).where(Shop.platform == "shopify", Shop.domain == domain)
    ).first()
    if shop is None:
        shop = Shop(platform="shopify", domain=domain, name=auth.shop_name(domain))
        shop.status = "installing"
        db.session.add(shop)
        db.session.flush()
    return shop


def needs_tokens(shop: Shop) -> bool:
    """A new, uninstalled or token-less shop, or one whose token lacks a scope we now ask
    for (the merchant approved new scopes), must go through token exchange again."""
    credentials = shop.credentials
    if shop.status != "active" or not credentials.get("refresh_token"):
        return True
    granted = {s.strip() for s in str(credentials.get("scope", "")).split(",")}
    return not set(current_app.config["SHOPIFY_SCOPES"]) <= granted


def install_with_id_token(domain: str, id_token: Any) -> Shop:
    """App home with a verified ID token: exchange it when we hold no live tokens."""
    shop = find_or_create_shop(domain)
    if needs_tokens(shop):
        activate(shop, auth.exchange_id_token(id_token))
    db.session.commit()
    return shop


def activate(shop: Shop, credentials: dict[str, Any]) -> None:
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
    """Subscribe webhooks (idempotent) and start the full catalog sync. Safe to run twice."""
    from app.connectors.shopify import catalog, subscriptions
    from app.connectors.shopify.graphql import AdminClient

    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return "skipped"
    client = AdminClient(shop)
    created = subscriptions.ensure_subscriptions(shop, client)
    catalog.start_full_sync(shop, client)
    db.session.commit()
    log.info("shopify shop set up", extra=log_fields(shop=shop_id, subscriptions_created=created))
    return "done"


def for_each_active_shop(job: Any, job_prefix: str) -> int:
    """Enqueue ``job(shop_id)`` once per active Shopify shop (daily/nightly fan-out)."""
    ids = db.session.scalars(
        sa.select(Shop.id).where(Shop.platform == "shopify", Shop.status == "active")
    ).all()
    db.session.commit()
    for shop_id in ids:
        queues.enqueue(job, shop_id, job_id=f"{job_prefix}-{shop_id}")
    return len(ids)
