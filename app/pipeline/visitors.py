"""Who a storefront visitor is: what of a batch's claim is believed, linking the visitor to the
customer, the identity our email links carry, and the shop's storefronts.

Who a visitor is. The batch's ``customer`` is what the page claims, and the page is the
shopper's browser: anyone can post to the collector with the shop's public key and an Origin
header of their choosing (curl sets any Origin). If a bare customer id or email were believed,
an attacker could (a) pour views into someone else's history under their id or address, so the
shop mails that person browse-abandonment emails and "picked for you" blocks about products the
attacker chose (harassment through the shop's own mail, and polluted recommendations), and
(b) link their own visitor id to that person, so every later view from the attacker's browser
joins the victim's profile; with a victim's visitor id (a cookie seen once on a shared
computer) they could even pull the victim's anonymous views into an account of their own and
get them back in "you were looking at" emails. So a claim links the visitor only when it comes
with something we or the platform issued to that browser alone (``believed_customer``):

- ``{"token": ...}``: our identity token from a click on our email link (``emails.tracking``:
  signed, bound to the shop, expiring); the Shopify pixel and the WordPress plugin keep it in
  a first-party cookie, only with the visitor's consent;
- ``{"id": ..., "sig": ...}``: a WooCommerce signed-in customer, signed by the plugin with the
  connection's shared secret on the server (the page gets the signature, never the secret);
- ``{"checkout": ...}``: the platform's checkout token (Shopify's pixel has it once the shopper
  typed their contact at checkout), believed when a checkout the shop sent us under that key
  names the customer: the token is known to that browser and the shop, not to an attacker.
  The pixel may be quicker than the shop's checkout webhook: an unproved claim waits as a
  ``CheckoutClaim`` (a day at most) and ``link_claimed_checkouts`` checks it again.

Anything else (a bare ``id`` or ``email``) is not believed: the views are kept as the
anonymous visitor's. A Shopify signed-in customer's id cannot be proved from the pixel (its
settings are the same for every visitor, so nothing in them can vouch for one customer): such a
shopper is linked at checkout or by a click on our email instead.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from rq import Retry

from app.emails.tracking import IDENTITY_PARAM, InvalidToken, identity_token, read_identity_token
from app.events.visitors import link_visitor
from app.logs import fields as log_fields
from app.models import (
    Cart,
    CheckoutClaim,
    Customer,
    Shop,
    ShopScope,
    StorefrontVisitor,
    db,
    utcnow,
)
from app.models.sql import insert_ignoring_conflict
from app.pipeline import queues

log = logging.getLogger(__name__)
# How long a checkout claim waits for the shop's checkout webhook.
CLAIM_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Identity:
    """What the page says about who the visitor is; see the module's docstring for what of it
    is believed."""

    platform_customer_id: str | None = None
    email: str | None = None
    signature: str | None = None  # the plugin's HMAC of the customer id (WooCommerce)
    token: str | None = None  # our identity token, from a click on our email link
    checkout: str | None = None  # the platform's checkout token (Shopify pixel)


def _live_customer(shop_id: int, *match: Any) -> int | None:
    """Only a customer the shop already told us about: the collector creates nobody."""
    customer = ShopScope(shop_id).first(Customer, *match, Customer.redacted_at.is_(None))
    return customer.id if customer is not None else None


def believed_customer(shop: Shop, identity: Identity | None) -> int | None:
    """The customer the claim proves, or None (the views stay the anonymous visitor's)."""
    if identity is None:
        return None
    if identity.token is not None:
        try:
            customer_id = read_identity_token(identity.token, shop.id)
        except InvalidToken:
            return None
        return _live_customer(shop.id, Customer.id == customer_id)
    if identity.checkout is not None:
        cart = ShopScope(shop.id).first(Cart, Cart.cart_key == identity.checkout)
        if cart is None or cart.customer_id is None:
            return None  # the shop has not sent us this checkout (yet): nothing proves whose
        return _live_customer(shop.id, Customer.id == cart.customer_id)
    if _signed_by_plugin(shop, identity):
        match = Customer.platform_customer_id == identity.platform_customer_id
        return _live_customer(shop.id, match)
    log.info("collect: identity claim without proof ignored", extra=log_fields(shop=shop.id))
    return None


def linked_customer(shop_id: int, visitor_id: str) -> int | None:
    link = ShopScope(shop_id).first(StorefrontVisitor, StorefrontVisitor.visitor_id == visitor_id)
    return link.customer_id if link is not None else None


def remember_claim(shop_id: int, identity: Identity | None, visitor_id: str) -> None:
    """A checkout the shop has not named yet: the claim waits for ``link_claimed_checkouts``."""
    if identity is not None and identity.checkout is not None:
        values = {"checkout_key": identity.checkout, "visitor_id": visitor_id}
        insert_ignoring_conflict(CheckoutClaim, {"shop_id": shop_id, **values})


def woocommerce_secret(shop: Shop) -> str | None:
    secret = shop.credentials.get("shared_secret") if shop.platform == "woocommerce" else None
    return str(secret) if secret else None


def _signed_by_plugin(shop: Shop, identity: Identity) -> bool:
    """A WooCommerce store signs its signed-in customer's id with the shared secret, on the
    server: the page carries the signature and cannot make one for anybody else."""
    secret = woocommerce_secret(shop)
    if secret is None or identity.platform_customer_id is None or identity.signature is None:
        return False
    message = f"customer:{identity.platform_customer_id}".encode()
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, identity.signature)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL or an Origin header, lower-cased; "" when it has none."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(shop: Shop) -> set[str]:
    """The shop's storefronts: the connected URL, its own domain, the custom ones it listed."""
    urls = (shop.store_url, f"https://{shop.domain}", *shop.storefront_tracking.origins)
    return {origin for origin in map(origin_of, urls) if origin}


def is_storefront_origin(shop: Shop, url: str | None) -> bool:
    return bool(url) and origin_of(str(url)) in allowed_origins(shop)


def identified_landing(shop: Shop, customer_id: int | None, target: str) -> str:
    """The email link's target with the customer's identity token added, when the target is
    one of the shop's own storefronts (never handed to another site) and the customer is
    still one of the shop's. Whether the browser keeps it is the storefront script's call,
    made on the visitor's consent."""
    if customer_id is None or not is_storefront_origin(shop, target):
        return target
    # Views feed marketing email: a customer who never agreed to it, or withdrew, is not linked.
    consenting = Customer.email_consent == "granted"
    if _live_customer(shop.id, Customer.id == customer_id, consenting) is None:
        return target
    parts = urlsplit(target)
    # Appended to the query as it is: re-encoding it could break a link the shop signed.
    added = f"{IDENTITY_PARAM}={identity_token(shop.id, customer_id)}"
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def link_shop_claims(shop_id: int, now: datetime) -> int:
    """Link the visitors whose claimed checkout the shop has since named; drop claims that
    are linked or too old. Returns the visitors linked; the caller commits."""
    scope = ShopScope(shop_id)
    stmt = (
        scope.select(CheckoutClaim)
        .join(
            Cart,
            sa.and_(
                Cart.shop_id == CheckoutClaim.shop_id, Cart.cart_key == CheckoutClaim.checkout_key
            ),
        )
        .join(Customer, sa.and_(Customer.shop_id == Cart.shop_id, Customer.id == Cart.customer_id))
        .where(Customer.redacted_at.is_(None))
        .with_only_columns(CheckoutClaim.id, CheckoutClaim.visitor_id, Customer.id)
    )
    done = []
    for claim_id, visitor_id, customer_id in db.session.execute(stmt).all():
        link_visitor(shop_id, visitor_id, customer_id)
        done.append(claim_id)
    stale = CheckoutClaim.claimed_at < now - CLAIM_LIFETIME
    db.session.execute(scope.delete(CheckoutClaim, sa.or_(CheckoutClaim.id.in_(done), stale)))
    return len(done)


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 300]))
def link_claimed_checkouts(now: datetime | None = None) -> int:
    """Every five minutes (``rq cron``): checkout claims the shops' webhooks have since
    answered. Safe to rerun."""
    now = now or utcnow()
    linked = 0
    waiting = sa.select(CheckoutClaim.shop_id).distinct()
    for shop_id in db.session.scalars(waiting).all():
        linked += link_shop_claims(shop_id, now)
        db.session.commit()
    if linked:
        log.info("checkout claims linked", extra=log_fields(visitors=linked))
    return linked
