"""Play a shopper who keeps looking at one product in the demo boutique, for browse abandonment.

A known shopper (their one order, long ago, makes them a customer who agreed to marketing)
looks at a product three times over the last few minutes: three batches posted to the running
service's ``/collect/demo`` exactly as the storefront script posts them (the shop's public key,
the storefront's Origin, the visitor id, and the identity token our email link gave the
shopper's browser: a bare email would not be believed). The browse scan then
runs here, as the 10-minute cron job would; with the fast clock the email goes to the outbox
at the next minute tick.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import requests
from flask import current_app

from app.demo.deliveries import post
from app.demo.flows import ensure_recommendations, lapsed_order, wait_for_order
from app.demo.shops import boutique
from app.emails.tracking import identity_token
from app.flows import browse_abandonment
from app.flows.engine.settings import save_settings
from app.insights.browsing import scan_browsing
from app.models import Customer, Shop, ShopScope, db, utcnow
from app.pipeline.storefront import ensure_collect_key

BROWSE_FAST = {
    "min_views": 2,
    "wait_minutes": 1,
    "email_delay_minutes": 0,
    "quiet_hours_enabled": False,
    "frequency_cap_hours": 0,
    "holdout_percent": 0,
}
VIEWS_MINUTES_AGO = (3.0, 2.0, 1.2)


def _known_shopper(shop: Shop, email: str) -> None:
    """A customer who agreed to marketing, made the way a shop makes them: an order."""
    if ShopScope(shop.id).first(Customer, Customer.email == email.lower()) is not None:
        return
    payload = lapsed_order(email, days_ago=60)
    name = email.split("@", 1)[0].split("-", 1)[0].capitalize()
    payload["customer"] = {**payload["customer"], "first_name": name}
    post(shop, "order/created", payload)
    wait_for_order(shop.id, payload["id"], 30)


def view_product(shop: Shop, email: str, product_id: str, visitor: str) -> list[int]:
    """Post the three views to the collector; the HTTP status of each."""
    customer = ShopScope(shop.id).first(Customer, Customer.email == email.lower())
    # The shopper came in through our email's link, which left this token in their browser.
    identity = {"token": identity_token(shop.id, customer.id)} if customer else {"email": email}
    statuses = []
    for minutes in VIEWS_MINUTES_AGO:
        at = (utcnow() - timedelta(minutes=minutes)).isoformat()
        body = {
            "shop": shop.domain,
            "key": shop.storefront_tracking.collect_key,
            "visitor": visitor,
            "customer": identity,
            "events": [{"type": "product_viewed", "product_id": product_id, "at": at}],
        }
        response = requests.post(
            f"{current_app.config['PUBLIC_URL']}/collect/demo",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "text/plain", "Origin": shop.store_url},
            timeout=10,
        )
        statuses.append(response.status_code)
    return statuses


def browse(email: str, product_id: str) -> tuple[list[int], int]:
    """(the collector's answers, customers the scan found)."""
    shop = boutique()
    ensure_recommendations(shop)  # "picked for you" needs something learned
    ensure_collect_key(shop)
    save_settings(shop.id, browse_abandonment.FLOW, BROWSE_FAST, enabled=True)
    db.session.commit()
    _known_shopper(shop, email)
    statuses = view_product(shop, email, product_id, f"demo-visitor-{uuid.uuid4().hex[:12]}")
    db.session.rollback()  # a fresh snapshot: the service stored the views
    return statuses, scan_browsing(shop.id)
