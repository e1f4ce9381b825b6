"""Telling the shop's staff about new alerts: an email (a digest when there are many) to each
address the merchant set, and, when they gave one, a signed webhook POST.

``notify_staff(shop_id)`` takes the shop's alerts nobody was told of yet (row locks, SKIP
LOCKED: two runs never take the same alert), marks them notified and commits *before* the
mail goes out — a crash then loses one notice, never sends two — and queues the webhook.

The webhook (``post_alert_webhook``, its own job with retries and backoff, never inside a web
request) POSTs JSON::

    {"shop": "<domain>", "alerts": [{"id": 7, "rule": {"id": 2, "kind": "cart_abandoned",
      "threshold": "300.00", "target": null}, "customer": {"id": 41, "email": "...",
      "name": "..."}, "detail": {"cart_total": "450.00", "currency": "PLN"},
      "created_at": "2026-11-30T10:00:00+00:00"}]}

with ``X-Storeflow-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the shop's
alert secret>`` (shown to the merchant on the Customers page), ``X-Storeflow-Event:
staff_alerts`` and ``X-Storeflow-Delivery`` (the same for every retry of one batch). Only to a
public address: the URL's host is resolved before every POST and refused when any address is
private, loopback, link-local or reserved (``app/outbound.py``); redirects are not followed.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app
from rq import Retry

from app.connectors.base import hmac_sha256
from app.emails import staff_alert
from app.emails.senders import get_sender
from app.logs import fields as log_fields
from app.models import AlertRule, Customer, Product, Shop, ShopScope, StaffAlert, db, utcnow
from app.outbound import PrivateAddressError, check_public_url
from app.pipeline import queues
from app.shipping.links import merchant_page_url

log = logging.getLogger(__name__)
SECRET_KEY = "alert_webhook_secret"  # in the shop's encrypted credentials
SIGNATURE_HEADER = "X-Storeflow-Signature"
WEBHOOK_TIMEOUT = 10
BATCH = 500


class WebhookRefused(RuntimeError):
    """The receiver answered with an error status: RQ retries the job later."""


def webhook_secret(shop: Shop, *, create: bool = False) -> str:
    """The shop's signing secret; made on first use when ``create`` (the caller commits)."""
    credentials = shop.credentials
    secret = str(credentials.get(SECRET_KEY) or "")
    if not secret and create:
        secret = secrets.token_urlsafe(32)
        shop.credentials = {**credentials, SECRET_KEY: secret}
    return secret


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256(secret, body).hex()


def allows_private_webhooks() -> bool:
    """Never in production; elsewhere only with STOREFLOW_ALLOW_PRIVATE_STORE_URLS on."""
    if current_app.config["STOREFLOW_ENV"] == "production":
        return False
    return bool(current_app.config.get("ALLOW_PRIVATE_STORE_URLS"))


def check_webhook_url(url: str) -> str:
    return check_public_url(url, allow_private=allows_private_webhooks())


def _pending(shop_id: int) -> list[StaffAlert]:
    return list(
        db.session.scalars(
            ShopScope(shop_id)
            .select(StaffAlert, StaffAlert.notified_at.is_(None))
            .order_by(StaffAlert.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )


@queues.job("flows", timeout=120, retry=Retry(max=3, interval=[60, 300, 1800]))
def notify_staff(shop_id: int) -> int:
    """Email the shop's staff about its new alerts and queue the webhook; how many alerts."""
    shop = db.session.get(Shop, shop_id)
    if shop is None or shop.status != "active":
        return 0  # an uninstalled shop's staff hear nothing more from us
    where = shop.staff_alerts
    if not (where.emails or where.webhook_url):
        # Nowhere to send yet: the alerts wait and the Customers page says so.
        db.session.rollback()
        return 0
    alerts = _pending(shop_id)
    if not alerts:
        db.session.commit()
        return 0
    now = utcnow()
    for alert in alerts:
        alert.notified_at = now
    lines = _lines(shop, alerts)
    ids = [a.id for a in alerts]
    if where.webhook_url:
        queues.enqueue_after_commit(
            db.session(), post_alert_webhook, shop_id, ids, job_id=f"alert-hook-{shop_id}-{ids[0]}"
        )
    db.session.commit()  # before the mail: a retry finds these alerts already told
    page = merchant_page_url(shop) or ""
    # A few alerts one email each; many in one digest.
    batches = [lines] if len(lines) >= staff_alert.DIGEST_FROM else [[line] for line in lines]
    for to in where.emails:
        for batch in batches:
            mail = staff_alert.compose(
                shop.display_name, shop.locale, shop.currency, to, batch, page
            )
            get_sender().send(mail)
    log.info(
        "staff alerted",
        extra=log_fields(shop=shop_id, alerts=len(alerts), addresses=len(where.emails)),
    )
    return len(alerts)


def _customers(shop_id: int, alerts: list[StaffAlert]) -> dict[int, Customer]:
    ids = sorted({a.customer_id for a in alerts})
    return {c.id: c for c in ShopScope(shop_id).all(Customer, Customer.id.in_(ids))}


def _rules(shop_id: int, alerts: list[StaffAlert]) -> dict[int, AlertRule]:
    ids = sorted({a.rule_id for a in alerts})
    return {r.id: r for r in ShopScope(shop_id).all(AlertRule, AlertRule.id.in_(ids))}


def _who(customer: Customer | None, customer_id: int) -> str:
    if customer is None or customer.redacted_at is not None:
        return f"#{customer_id}"
    name = f"{customer.first_name} {customer.last_name}".strip()
    email = customer.email or ""
    return f"{name} <{email}>" if name and email else name or email or f"#{customer_id}"


def _product_titles(shop_id: int, alerts: list[StaffAlert]) -> dict[str, str]:
    ids = {str(a.detail.get("product_id")) for a in alerts if a.detail.get("product_id")}
    if not ids:
        return {}
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Product, Product.platform_product_id.in_(sorted(ids)))
        .with_only_columns(Product.platform_product_id, Product.title)
    ).all()
    return {pid: title for pid, title in rows}


def _lines(shop: Shop, alerts: list[StaffAlert]) -> list[staff_alert.AlertLine]:
    customers, rules = _customers(shop.id, alerts), _rules(shop.id, alerts)
    titles = _product_titles(shop.id, alerts)
    lines = []
    for alert in alerts:
        rule = rules[alert.rule_id]
        detail = dict(alert.detail)
        if detail.get("product_id") in titles:
            detail["product"] = titles[detail["product_id"]]
        who = _who(customers.get(alert.customer_id), alert.customer_id)
        lines.append(staff_alert.AlertLine(rule.kind, who, rule.threshold, detail))
    return lines


def webhook_body(shop: Shop, alerts: list[StaffAlert]) -> bytes:
    """The JSON the receiver gets, as bytes: the signature is over exactly these."""
    customers, rules = _customers(shop.id, alerts), _rules(shop.id, alerts)
    items: list[dict[str, Any]] = []
    for alert in alerts:
        rule, customer = rules[alert.rule_id], customers.get(alert.customer_id)
        erased = customer is None or customer.redacted_at is not None
        items.append(
            {
                "id": alert.id,
                "rule": {
                    "id": rule.id,
                    "kind": rule.kind,
                    "threshold": None if rule.threshold is None else str(rule.threshold),
                    "target": rule.target,
                },
                "customer": {
                    "id": alert.customer_id,
                    "email": None if erased or customer is None else customer.email,
                    "name": None if erased else _who(customer, alert.customer_id),
                },
                "detail": alert.detail,
                "created_at": alert.created_at.isoformat(),
            }
        )
    body = {"shop": shop.domain, "alerts": items}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@queues.job("flows", timeout=60, retry=Retry(max=5, interval=[60, 300, 900, 3600, 10800]))
def post_alert_webhook(shop_id: int, alert_ids: list[int]) -> str:
    """POST the alerts not yet delivered among ``alert_ids``; raises (and RQ retries) when the
    receiver fails; a refused address is logged and never retried."""
    shop = db.session.get(Shop, shop_id)
    url = shop.staff_alerts.webhook_url if shop is not None else ""
    if shop is None or not url:
        return "no webhook"
    alerts = ShopScope(shop_id).all(
        StaffAlert, StaffAlert.id.in_(alert_ids), StaffAlert.webhook_at.is_(None)
    )
    if not alerts:  # delivered already, or erased with their customer
        db.session.commit()
        return "nothing to send"
    try:
        url = check_webhook_url(url)
    except PrivateAddressError as exc:
        db.session.commit()
        log.warning("alert webhook refused", extra=log_fields(shop=shop_id, why=str(exc)))
        return "refused"
    body = webhook_body(shop, sorted(alerts, key=lambda a: a.id))
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(webhook_secret(shop), body),
        "X-Storeflow-Event": "staff_alerts",
        "X-Storeflow-Delivery": f"{shop_id}-{min(alert_ids)}",
    }
    db.session.commit()  # no transaction held open across the network call
    response = requests.post(
        url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False
    )
    if not 200 <= response.status_code < 300:
        raise WebhookRefused(f"alert webhook answered {response.status_code}")
    db.session.execute(
        ShopScope(shop_id)
        .update(StaffAlert, StaffAlert.id.in_([a.id for a in alerts]))
        .values(webhook_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "delivered"


def shops_with_unnotified_alerts(before: datetime) -> list[int]:
    """Shops with alerts stored before ``before`` and nobody told (Redis lost the job)."""
    return list(
        db.session.scalars(
            sa.select(StaffAlert.shop_id)
            .where(StaffAlert.notified_at.is_(None), StaffAlert.created_at < before)
            .distinct()
        ).all()
    )
