"""Storefront events: retention, and erasure through the GDPR paths."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.emails.tracking import identity_token
from app.events import types as ev
from app.events.apply import apply
from app.models import (
    BrowseEmission,
    CheckoutClaim,
    Customer,
    Shop,
    StorefrontEvent,
    StorefrontVisitor,
    db,
    utcnow,
)
from app.models.shop_settings import StorefrontTracking
from app.pipeline.storefront import Batch, Identity, forget_old_events, read_batch, store_batch


def _views(shop: Shop, visitor: str, *ages_days: int, identity: Identity | None = None) -> None:
    now = utcnow()
    rows = tuple(
        {
            "kind": "product_viewed",
            "product_id": "101",
            "variant_id": None,
            "detail": None,
            "occurred_at": now - timedelta(days=age),
        }
        for age in ages_days
    )
    store_batch(shop, Batch(visitor, identity, rows))
    db.session.commit()


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_events_past_the_shops_retention_are_forgotten(shop: Shop, make_shop):
    other = make_shop(n=2)
    other.storefront_tracking = StorefrontTracking(retention_days=10)
    db.session.commit()
    _views(shop, "visitor-aaaa", 1, 50, 91)
    _views(other, "visitor-bbbb", 1, 11)
    assert forget_old_events() == 2
    ages = sorted(
        (e.shop_id, (utcnow() - e.occurred_at).days)
        for e in db.session.scalars(sa.select(StorefrontEvent))
    )
    assert ages == sorted([(shop.id, 1), (shop.id, 50), (other.id, 1)])


def test_customer_redact_erases_their_views_including_before_they_were_known(
    shop: Shop, customer: Customer, make_customer
):
    someone = make_customer(shop, email="someone@example.com")
    _views(shop, "visitor-ola-1", 0)  # anonymous, not yet linked
    _views(shop, "visitor-ola-1", 0, identity=Identity(token=identity_token(shop.id, customer.id)))
    _views(shop, "visitor-other", 0, identity=Identity(token=identity_token(shop.id, someone.id)))
    db.session.add(
        BrowseEmission(
            shop_id=shop.id, customer_id=customer.id, product_id="1", emitted_at=utcnow()
        )
    )
    db.session.commit()
    assert _count(StorefrontEvent) == 3
    apply(ev.CustomerRedact(shop_id=shop.id, customer=ev.Contact(email="ola@example.com")))
    db.session.commit()
    left = db.session.scalars(sa.select(StorefrontEvent)).all()
    assert [(e.visitor_id, e.customer_id) for e in left] == [("visitor-other", someone.id)]
    assert [v.visitor_id for v in db.session.scalars(sa.select(StorefrontVisitor))] == [
        "visitor-other"
    ]
    assert _count(BrowseEmission) == 0


def test_shop_redact_erases_every_view_of_the_shop(shop: Shop, customer: Customer, make_shop):
    other = make_shop(n=2)
    _views(shop, "visitor-ola-1", 0, identity=Identity(token=identity_token(shop.id, customer.id)))
    _views(shop, "visitor-anon", 0)
    _views(other, "visitor-else", 0)
    _views(shop, "visitor-anon", identity=Identity(checkout="checkout-not-yet-known"))
    assert _count(CheckoutClaim) == 1
    apply(ev.ShopRedact(shop_id=shop.id))
    db.session.commit()
    assert [e.shop_id for e in db.session.scalars(sa.select(StorefrontEvent))] == [other.id]
    assert _count(StorefrontVisitor) == 0 and _count(CheckoutClaim) == 0


def test_read_batch_keeps_the_identity_it_was_given():
    body = {
        "visitor": "visitor-1234",
        "customer": {"id": 42},
        "events": [{"type": "product_viewed", "product_id": 7, "at": utcnow().isoformat()}],
    }
    batch = read_batch(body)
    assert batch.identity == Identity(platform_customer_id="42")
    assert batch.rows[0]["product_id"] == "7"
