"""Signed tracking links: open pixel, click redirect, unsubscribe; and what each one records.

Tokens are signed with the app's SECRET_KEY (itsdangerous), one salt per purpose, so a pixel
token cannot be replayed as an unsubscribe. They do not expire: an unsubscribe link must work
for as long as the email exists, and an old click still deserves its redirect.

The one token that does expire is the shopper's identity token (``identity_token``): a click
on our link to the shop's own storefront carries it to the landing page (``IDENTITY_PARAM``),
where the storefront script keeps it in a first-party cookie (only with the visitor's consent)
and sends it with its views, so the collector can link that browser to the customer who got
the email. It names the customer by our id (no address in URLs), is bound to the shop, and
lasts ``IDENTITY_MAX_AGE``: whoever holds a forwarded link can at most add views to that
customer for that long, never read anything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.emails.signing import link_signer
from app.events.apply import cancel_runs
from app.logs import fields as log_fields
from app.models import AuditLog, Customer, FlowRun, Message, ShopScope, Suppression, db, utcnow
from app.models.sql import insert_ignoring_conflict

log = logging.getLogger(__name__)
# Runs of these flows send transactional mail (shipping notices): an unsubscribe leaves them be.
TRANSACTIONAL_FLOWS = frozenset({"shipping_notice"})
OPEN_PATH, CLICK_PATH, UNSUBSCRIBE_PATH = "/t/o/{}.gif", "/t/c/{}", "/u/{}"
# The landing page's query parameter that carries the identity token, and how long it counts.
IDENTITY_PARAM = "sf_id"
IDENTITY_MAX_AGE = 30 * 24 * 3600


class InvalidToken(ValueError):
    """The token was not signed by us (or was altered): answer 404, record nothing."""


def _url(path: str, purpose: str, payload: list[Any]) -> str:
    token = link_signer(f"storeflow.{purpose}").dumps(payload)
    return current_app.config["PUBLIC_URL"] + path.format(token)


def _load(purpose: str, token: str) -> list[Any]:
    try:
        payload = link_signer(f"storeflow.{purpose}").loads(token)
    except BadSignature:
        raise InvalidToken(f"bad {purpose} token") from None
    if not isinstance(payload, list):
        raise InvalidToken(f"malformed {purpose} token")
    return payload


def open_pixel_url(shop_id: int, message_id: int) -> str:
    return _url(OPEN_PATH, "open", [shop_id, message_id])


def click_tracker(shop_id: int, message_id: int) -> Callable[[str], str]:
    """The ``click_url`` for a message's template: target -> signed redirect through us.

    Each target is signed once per message: the HTML and the text part link the same products.
    """
    signed: dict[str, str] = {}
    # Looked up once per message, not once per link.
    signer, base = link_signer("storeflow.click"), current_app.config["PUBLIC_URL"]

    def click_url(target: str) -> str:
        if target not in signed:
            # mailto:, tel: and the like are left alone
            if _is_web_url(target):
                token = signer.dumps([shop_id, message_id, target])
                signed[target] = base + CLICK_PATH.format(token)
            else:
                signed[target] = target
        return signed[target]

    return click_url


def unsubscribe_url(shop_id: int, email: str, locale: str, customer_id: int | None = None) -> str:
    """The signed link; it names the customer by id when it can, so the address itself does
    not travel in URLs (and so into proxy and access logs)."""
    address = None if customer_id is not None else email.strip().lower()
    return _url(UNSUBSCRIBE_PATH, "unsubscribe", [shop_id, customer_id, address, locale])


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058 headers: mail clients show "Unsubscribe" and POST to ``url``."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def tracking_context(
    shop_id: int, message_id: int, email: str, locale: str, customer_id: int | None = None
) -> dict[str, Any]:
    """The template context keys that make one message trackable and unsubscribable."""
    return {
        "open_pixel_url": open_pixel_url(shop_id, message_id),
        "click_url": click_tracker(shop_id, message_id),
        "unsubscribe_url": unsubscribe_url(shop_id, email, locale, customer_id),
    }


# An address urlsplit surely reads as http(s) with a host: the scheme as written, a first
# host character, and none of what urlsplit removes (tab, CR, LF), checks (brackets of an
# IPv6 host, non-ASCII hosts) or strips (leading spaces cannot come before "http").
_PLAIN_WEB_URL = re.compile(r"https?://[^/?#\[\]\s][^\[\]\t\r\n]*\Z")


def _is_web_url(url: str) -> bool:
    # A cart's links are unique per email, past urlsplit's cache: the usual address is
    # answered by one match; anything else (other schemes, odd characters) by urlsplit.
    if url.isascii() and _PLAIN_WEB_URL.match(url):
        return True
    parsed = urlsplit(url)  # the scheme and host as urlparse gives them, without ;params
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def record_open(token: str) -> None:
    shop_id, message_id = _load("open", token)
    _stamp_once(shop_id, message_id, "opened_at")


@dataclass(frozen=True)
class Click:
    shop_id: int
    message_id: int
    target: str


def record_click(token: str) -> Click:
    """Record the click; the signed target (never anything the request supplies)."""
    shop_id, message_id, target = _load("click", token)
    if not _is_web_url(target):
        raise InvalidToken("click target is not a web address")
    _stamp_once(shop_id, message_id, "clicked_at")
    # A click proves an open, even when the client blocked the pixel.
    _stamp_once(shop_id, message_id, "opened_at")
    return Click(int(shop_id), int(message_id), str(target))


def _identity_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="storeflow.identity")


def identity_token(shop_id: int, customer_id: int) -> str:
    """A signed, expiring "this browser is customer N of shop S" for the storefront script."""
    return str(_identity_serializer().dumps([shop_id, customer_id]))


def read_identity_token(token: str, shop_id: int) -> int:
    """The customer id the token names in this shop; InvalidToken when forged, expired, or
    issued for another shop."""
    try:
        payload = _identity_serializer().loads(token, max_age=IDENTITY_MAX_AGE)
    except SignatureExpired:
        raise InvalidToken("expired identity token") from None
    except BadSignature:
        raise InvalidToken("bad identity token") from None
    if not isinstance(payload, list) or len(payload) != 2 or payload[0] != shop_id:
        raise InvalidToken("identity token of another shop")
    return int(payload[1])


def message_customer(shop_id: int, message_id: int) -> int | None:
    """The customer a message went to (None for one sent to an address only)."""
    message = ShopScope(shop_id).get(Message, message_id)
    return message.customer_id if message is not None else None


def _stamp_once(shop_id: int, message_id: int, column: str) -> None:
    """Set the time only if unset: the first open or click is the one that counts."""
    field = getattr(Message, column)
    db.session.execute(
        ShopScope(shop_id)
        .update(Message, Message.id == message_id, field.is_(None))
        .values({column: utcnow()})
    )
    db.session.commit()


def is_suppressed(shop_id: int, address: str, channel: str = "email") -> bool:
    """True if the address unsubscribed (or bounced, or complained) in this shop."""
    found = ShopScope(shop_id).first(
        Suppression, Suppression.channel == channel, Suppression.address == address.lower()
    )
    return found is not None


@dataclass(frozen=True)
class UnsubscribeLink:
    shop_id: int
    email: str
    customer_id: int | None
    locale: str


def read_unsubscribe(token: str) -> UnsubscribeLink:
    """Who the link unsubscribes; InvalidToken if forged, or if the customer was erased."""
    shop_id, customer_id, address, locale = _load("unsubscribe", token)
    if customer_id is not None:
        customer = ShopScope(int(shop_id)).get(Customer, int(customer_id))
        address = customer.email if customer is not None else None
    if not address:
        raise InvalidToken("the customer of this link no longer exists")
    return UnsubscribeLink(int(shop_id), str(address), customer_id, str(locale))


def unsubscribe(shop_id: int, email: str, customer_id: int | None = None) -> int:
    """Suppress the address, withdraw email consent, cancel marketing runs; safe to repeat.

    Returns how many runs were cancelled. The suppression outlives any later "consent granted"
    from the platform: the shopper told us directly.
    """
    scope = ShopScope(shop_id)
    email = email.strip().lower()
    insert_ignoring_conflict(
        Suppression,
        {"shop_id": shop_id, "channel": "email", "address": email, "reason": "unsubscribe"},
    )
    customer = None
    if customer_id is not None:
        customer = scope.get(Customer, int(customer_id), for_update=True)
    if customer is None:
        customer = db.session.scalars(
            scope.select(Customer, Customer.email == email).with_for_update()
        ).first()
    cancelled = 0
    if customer is not None:
        cancelled = cancel_runs(
            shop_id,
            "unsubscribed",
            FlowRun.customer_id == customer.id,
            FlowRun.flow_key.notin_(TRANSACTIONAL_FLOWS),
        )
        if customer.email_consent != "withdrawn":  # the first unsubscribe is the one recorded
            customer.email_consent = "withdrawn"
            customer.email_consent_at = utcnow()
            customer.email_consent_source = "unsubscribe"
            subject = f"customer:{customer.id}"
            scope.add(AuditLog(actor="customer", action="unsubscribed", subject=subject))
    db.session.commit()
    log.info(
        "unsubscribed",
        extra=log_fields(shop=shop_id, customer=customer.id if customer else None, runs=cancelled),
    )
    return cancelled
