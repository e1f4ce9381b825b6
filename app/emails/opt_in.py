"""Double opt-in: the signed, expiring confirmation link and what its click records.

The link names the shop, the customer, a digest of the address it was sent to (so a changed
address is not confirmed by an old mail, and the address itself stays out of URLs and access
logs), the page's language and its expiry. ``app/web/email_links.py`` serves it: GET shows a
button (mail scanners follow GETs, so GET changes nothing), POST confirms. Only the click
grants consent, recorded with its time, the address it came from and where the sign-up began.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature

from app.emails.signing import link_signer
from app.logs import fields as log_fields
from app.models import AuditLog, Customer, ShopScope, db

log = logging.getLogger(__name__)
CONFIRM_PATH = "/n/{}"
CONFIRMED_PREFIX = "confirmed:"


class InvalidConfirmation(ValueError):
    """Forged, damaged, expired, or for a person or address we no longer hold: refused."""


class ExpiredConfirmation(InvalidConfirmation):
    """Ours, but too old: the page says so in the shopper's language."""

    def __init__(self, locale: str) -> None:
        super().__init__("confirmation link has expired")
        self.locale = locale


@dataclass(frozen=True)
class ConfirmationLink:
    shop_id: int
    customer_id: int
    address_digest: str
    locale: str
    expires_at: int


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def confirm_url(shop_id: int, customer: Customer, locale: str, expires_at: datetime) -> str:
    assert customer.email is not None
    payload = [shop_id, customer.id, _digest(customer.email), locale, int(expires_at.timestamp())]
    return current_app.config["PUBLIC_URL"] + CONFIRM_PATH.format(
        link_signer("storeflow.opt-in").dumps(payload)
    )


def read_confirmation(token: str, now: datetime) -> ConfirmationLink:
    try:
        payload = link_signer("storeflow.opt-in").loads(token)
    except BadSignature:
        raise InvalidConfirmation("confirmation link is not ours") from None
    if not isinstance(payload, list) or len(payload) != 5:
        raise InvalidConfirmation("malformed confirmation link")
    link = ConfirmationLink(
        int(payload[0]), int(payload[1]), str(payload[2]), str(payload[3]), int(payload[4])
    )
    if link.expires_at < now.timestamp():
        raise ExpiredConfirmation(link.locale)
    return link


def _customer(link: ConfirmationLink, *, for_update: bool = False) -> Customer:
    customer = ShopScope(link.shop_id).get(Customer, link.customer_id, for_update=for_update)
    if customer is None or customer.redacted_at is not None or not customer.email:
        raise InvalidConfirmation("the customer of this link no longer exists")
    if _digest(customer.email) != link.address_digest:
        raise InvalidConfirmation("the customer's address changed since the link was sent")
    return customer


def pending_customer(link: ConfirmationLink) -> Customer:
    """Who the link confirms (for the page to greet); InvalidConfirmation if nobody."""
    return _customer(link)


def confirm(link: ConfirmationLink, ip: str | None, now: datetime) -> tuple[Customer, bool]:
    """Record the consent the click gives; (customer, True) when this click granted it.

    Safe to repeat: a second click finds consent granted and changes nothing. A shopper who
    said no since the sign-up (unsubscribed, withdrew) is not signed up again by an old mail.
    The caller commits.
    """
    customer = _customer(link, for_update=True)
    if customer.email_consent == "granted":
        return customer, False
    if customer.email_consent != "pending":
        raise InvalidConfirmation("the sign-up is no longer waiting for confirmation")
    source = customer.email_consent_source or "platform"
    customer.email_consent = "granted"
    customer.email_consent_at = now
    customer.email_consent_source = (CONFIRMED_PREFIX + source)[:64]
    customer.email_consent_ip = (ip or "")[:45] or None
    ShopScope(link.shop_id).add(
        AuditLog(
            actor="customer", action="email_consent_confirmed", subject=f"customer:{customer.id}"
        )
    )
    db.session.flush()
    log.info("double opt-in confirmed", extra=log_fields(shop=link.shop_id, customer=customer.id))
    return customer, True


__all__ = [
    "ConfirmationLink",
    "ExpiredConfirmation",
    "InvalidConfirmation",
    "confirm",
    "confirm_url",
    "pending_customer",
    "read_confirmation",
]
