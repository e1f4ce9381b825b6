"""Topics that end things (customers/delete, checkouts/delete) and deliveries that arrive out of
order (an older checkouts/update, an order before its checkout), on Shopify's documented
sample payloads (tests/fixtures/shopify/README.md), through the real ingest path."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import Cart, Customer, FlowRun, ShopScope, db, utcnow
from tests.support.shopify import load

CUSTOMER_ID = "706405506930370084"  # the customers/create and customers/delete samples' id
CHECKOUT_TOKEN = "123123123"  # the checkouts/create sample's token (our cart key)
CART_TOKEN = "eeafa272cebfd4b22385bc4b645e762c"  # the sample's cart_token, as checkouts/delete


@pytest.fixture()
def deliver(post_shopify_webhook, run_jobs):
    counter = iter(range(1, 1000))

    def send(topic: str, payload: dict) -> None:
        response = post_shopify_webhook(topic, payload, webhook_id=f"w-{next(counter)}")
        assert response.status_code == 200
        run_jobs("events")
        db.session.expire_all()

    return send


@pytest.fixture()
def flowing_shop(shopify_shop):
    """The Shopify shop with what a marketing mail needs and the abandoned-cart flow on."""
    shopify_shop.settings = {
        "address": "ul. Mokotowska 1, 00-640 Warszawa",
        "sender_email": "hello@shop.example",
    }
    save_settings(shopify_shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    return shopify_shop


def _run(shop, **values) -> FlowRun:
    run = FlowRun(
        flow_key="abandoned_cart",
        state="active",
        started_at=utcnow(),
        next_step_at=utcnow() + timedelta(hours=1),
        **values,
    )
    ShopScope(shop.id).add(run)
    db.session.commit()
    return run


def _consenting(payload: dict) -> dict:
    payload["email_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2021-12-31T19:00:00-05:00",
    }
    return payload


def test_customers_delete_erases_the_customer_and_stops_their_runs(shopify_shop, deliver):
    deliver("customers/create", _consenting(load("customers_create")))
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.email, customer.platform_customer_id) == ("bob@biller.com", CUSTOMER_ID)
    assert customer.is_marketing_allowed("email")
    run = _run(
        shopify_shop,
        subject_key=f"customer:{customer.id}",
        customer_id=customer.id,
        context={"email": "bob@biller.com"},
    )

    deliver("customers/delete", load("customers_delete"))

    customer = db.session.get(Customer, customer.id)
    assert (customer.email, customer.first_name, customer.platform_customer_id) == (None, "", None)
    assert customer.address == {} and customer.redacted_at is not None
    assert not customer.is_marketing_allowed("email")
    run = db.session.get(FlowRun, run.id)
    assert (run.state, run.end_reason, run.next_step_at) == ("cancelled", "customer_deleted", None)
    assert run.context["email"] is None


def test_checkouts_delete_ends_the_cart_and_its_runs_by_the_kept_cart_token(shopify_shop, deliver):
    deliver("checkouts/create", load("checkouts_create", token="999", cart_token="another-cart"))
    deliver("checkouts/create", load("checkouts_create"))
    cart = db.session.scalars(sa.select(Cart).where(Cart.cart_key == CHECKOUT_TOKEN)).one()
    assert (cart.cart_key, cart.platform_cart_token, cart.status) == (
        CHECKOUT_TOKEN,
        CART_TOKEN,
        "active",
    )
    run = _run(shopify_shop, subject_key=f"cart:{CHECKOUT_TOKEN}", context={"cart_key": "x"})
    other = _run(shopify_shop, subject_key="cart:another", context={"cart_key": "another"})

    deliver("checkouts/delete", load("checkouts_delete"))

    assert db.session.get(Cart, cart.id).status == "deleted"
    assert db.session.get(FlowRun, run.id).state == "cancelled"
    assert db.session.get(FlowRun, run.id).end_reason == "cart_deleted"
    assert db.session.get(FlowRun, other.id).state == "active"
    assert db.session.scalars(sa.select(Cart.status).where(Cart.cart_key == "999")).one() == (
        "active"
    )
    # A late update of the deleted checkout does not bring it back.
    deliver("checkouts/update", load("checkouts_create", updated_at="2022-01-01T10:00:00-05:00"))
    assert db.session.get(Cart, cart.id).status == "deleted"


def test_older_checkout_update_does_not_overwrite_a_newer_carts_email(shopify_shop, deliver):
    deliver(
        "checkouts/update",
        load("checkouts_create", email="new@example.com", updated_at="2022-01-01T10:05:00Z"),
    )
    deliver(
        "checkouts/update",
        load("checkouts_create", email="old@example.com", updated_at="2022-01-01T10:00:00Z"),
    )
    assert db.session.scalars(sa.select(Cart.email)).one() == "new@example.com"
    # ...while a newer one still does.
    deliver(
        "checkouts/update",
        load("checkouts_create", email="newest@example.com", updated_at="2022-01-01T10:09:00Z"),
    )
    assert db.session.scalars(sa.select(Cart.email)).one() == "newest@example.com"


def test_order_arriving_before_its_checkout_leaves_the_cart_converted_and_enrolls_nobody(
    flowing_shop, deliver
):
    order = load("orders_create", checkout_token=CHECKOUT_TOKEN, cancelled_at=None)
    deliver("orders/create", order)
    deliver("checkouts/create", load("checkouts_create", buyer_accepts_marketing=True))
    # The same checkout of a shopper who did not order is abandoned and enrolled.
    deliver(
        "checkouts/create",
        load(
            "checkouts_create",
            token="456456456",
            cart_token="c0ffee",
            email="left@example.com",
            buyer_accepts_marketing=True,
        ),
    )

    statuses = dict(db.session.execute(sa.select(Cart.cart_key, Cart.status)).all())
    assert statuses == {CHECKOUT_TOKEN: "converted", "456456456": "active"}
    subjects = db.session.scalars(sa.select(FlowRun.subject_key)).all()
    assert subjects == ["cart:456456456"]
