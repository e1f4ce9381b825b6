"""Who a storefront visitor is: only a claim that comes with proof links them to a customer.

Anyone can post to the collector (the key is public, curl sets any Origin), so a bare customer
id or email is ignored; our email link's identity token, the plugin's signature and a checkout
the shop told us about are believed (``app/pipeline/visitors.py`` says why, and what an
attacker could do otherwise).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from app.emails import tracking
from app.emails.tracking import IDENTITY_PARAM, identity_token
from app.models import (
    CheckoutClaim,
    Customer,
    Message,
    Shop,
    StorefrontEvent,
    StorefrontVisitor,
    db,
    utcnow,
)
from app.pipeline.storefront import ensure_collect_key
from app.pipeline.visitors import CLAIM_LIFETIME, link_claimed_checkouts
from tests.web.test_collect import ORIGIN, VISITOR, batch, post, stored, view

ATTACKER = "v-attacker-000001"


@pytest.fixture()
def tracked_shop(shop: Shop) -> Shop:
    ensure_collect_key(shop)
    db.session.commit()
    return shop


def _links() -> list[tuple[str, int]]:
    rows = db.session.scalars(sa.select(StorefrontVisitor).order_by(StorefrontVisitor.id))
    return [(r.visitor_id, r.customer_id) for r in rows]


def _send(client: FlaskClient, shop: Shop, visitor: str, customer: Any, *products: str) -> int:
    body = batch(shop, *(view(p) for p in products or ("101",)), customer=customer)
    return int(post(client, {**body, "visitor": visitor}).status_code)


def test_someone_elses_email_or_id_without_proof_links_nothing(
    client: FlaskClient, tracked_shop: Shop, make_customer
):
    victim = make_customer(tracked_shop, email="ola@example.com", platform_customer_id="7301")
    # The attacker's views, claimed as the victim's: stored, but as the attacker's own visitor.
    assert _send(client, tracked_shop, ATTACKER, {"email": "ola@example.com"}, "666") == 204
    assert _send(client, tracked_shop, ATTACKER, {"id": "7301"}, "667") == 204
    assert [(r.visitor_id, r.customer_id) for r in stored()] == [(ATTACKER, None)] * 2
    assert _links() == []
    # The victim's own proven visit links only their browser, never the attacker's views.
    token = identity_token(tracked_shop.id, victim.id)
    assert _send(client, tracked_shop, VISITOR, {"token": token}, "101") == 204
    assert _links() == [(VISITOR, victim.id)]
    mine = db.session.scalars(
        sa.select(StorefrontEvent.product_id).where(StorefrontEvent.customer_id == victim.id)
    ).all()
    assert mine == ["101"]


def test_forged_expired_or_other_shops_identity_token_links_nothing(
    client: FlaskClient,
    tracked_shop: Shop,
    customer: Customer,
    make_shop,
    monkeypatch: pytest.MonkeyPatch,
):
    other = make_shop(n=2)
    good = identity_token(tracked_shop.id, customer.id)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    other_shops = identity_token(other.id, customer.id)
    long_ago = int(time.time()) - tracking.IDENTITY_MAX_AGE - 60
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: long_ago)
        expired = identity_token(tracked_shop.id, customer.id)

    for token in (forged, other_shops, expired):
        assert _send(client, tracked_shop, VISITOR, {"token": token}) == 204
    assert _links() == [] and {r.customer_id for r in stored()} == {None}

    assert _send(client, tracked_shop, VISITOR, {"token": good}) == 204
    assert _links() == [(VISITOR, customer.id)]
    assert {r.customer_id for r in stored()} == {customer.id}  # earlier views joined them


def test_token_of_an_erased_customer_links_nothing(
    client: FlaskClient, tracked_shop: Shop, customer: Customer
):
    token = identity_token(tracked_shop.id, customer.id)
    customer.redacted_at = customer.created_at
    db.session.commit()
    assert _send(client, tracked_shop, VISITOR, {"token": token}) == 204
    assert _links() == []


def test_checkout_token_links_only_once_the_shop_sent_that_checkout(
    client: FlaskClient, tracked_shop: Shop, customer: Customer, make_cart
):
    checkout = {"checkout": "b1946ac92492d2347c6235b4d2611184"}
    assert _send(client, tracked_shop, VISITOR, checkout, "101") == 204
    assert _links() == []  # no such checkout yet: nothing says whose it is

    make_cart(customer, cart_key="b1946ac92492d2347c6235b4d2611184")
    assert _send(client, tracked_shop, VISITOR, checkout, "102") == 204
    assert _links() == [(VISITOR, customer.id)]
    assert [(r.product_id, r.customer_id) for r in stored()] == [
        ("101", customer.id),
        ("102", customer.id),
    ]


def test_checkout_claimed_before_the_shops_webhook_is_linked_once_it_comes(
    client: FlaskClient, tracked_shop: Shop, customer: Customer, make_cart
):
    checkout = {"checkout": "b1946ac92492d2347c6235b4d2611184"}
    assert _send(client, tracked_shop, VISITOR, None, "101") == 204
    assert _send(client, tracked_shop, VISITOR, checkout, "102") == 204  # the pixel was quicker
    assert link_claimed_checkouts() == 0  # still nothing says whose it is
    assert _links() == []

    make_cart(customer, cart_key="b1946ac92492d2347c6235b4d2611184")  # checkouts/update
    assert link_claimed_checkouts() == 1

    assert _links() == [(VISITOR, customer.id)]
    assert [(r.product_id, r.customer_id) for r in stored()] == [
        ("101", customer.id),
        ("102", customer.id),
    ]
    assert db.session.scalars(sa.select(CheckoutClaim)).all() == []


def test_a_claim_the_shop_never_answers_is_dropped_after_a_day(
    client: FlaskClient, tracked_shop: Shop, customer: Customer, make_cart
):
    assert _send(client, tracked_shop, ATTACKER, {"checkout": "guessed-checkout-1"}) == 204
    assert len(db.session.scalars(sa.select(CheckoutClaim)).all()) == 1
    link_claimed_checkouts(now=utcnow() + CLAIM_LIFETIME + timedelta(minutes=1))
    assert db.session.scalars(sa.select(CheckoutClaim)).all() == []
    make_cart(customer, cart_key="guessed-checkout-1")
    assert link_claimed_checkouts() == 0 and _links() == []


def _click(client: FlaskClient, message: Message, target: str) -> str:
    url = tracking.click_tracker(message.shop_id, message.id)(target)
    response = client.get(url.removeprefix("http://storeflow.test"))
    assert response.status_code == 302
    return str(response.headers["Location"])


def test_click_to_the_storefront_carries_a_token_that_links_the_shoppers_browser(
    client: FlaskClient, tracked_shop: Shop, customer: Customer, make_message
):
    message = make_message(tracked_shop, customer)
    assert _send(client, tracked_shop, VISITOR, None, "101") == 204  # before the email

    landing = _click(client, message, "https://shop.example/products/linen?utm_source=storeflow")
    parts = urlsplit(landing)
    assert landing.startswith("https://shop.example/products/linen?utm_source=storeflow&sf_id=")
    (token,) = parse_qs(parts.query)[IDENTITY_PARAM]

    # The storefront script (with the visitor's consent) sends the token with its next views.
    assert _send(client, tracked_shop, VISITOR, {"token": token}, "102") == 204
    assert _links() == [(VISITOR, customer.id)]
    assert [(r.product_id, r.customer_id) for r in stored()] == [
        ("101", customer.id),
        ("102", customer.id),
    ]


def test_click_elsewhere_or_of_a_customer_without_consent_carries_no_token(
    client: FlaskClient, tracked_shop: Shop, customer: Customer, make_message
):
    message = make_message(tracked_shop, customer)
    elsewhere = "https://instagram.example/sklep?x=1"
    assert _click(client, message, elsewhere) == elsewhere  # never handed to another site

    customer.email_consent = "withdrawn"
    db.session.commit()
    storefront = "https://shop.example/products/linen"
    assert _click(client, message, storefront) == storefront
    assert ORIGIN == "https://shop.example"
