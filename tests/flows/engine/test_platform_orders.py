"""Before a reminder goes out for a cart older than the shop's last reconcile, the platform is
asked whether the shopper has ordered since: webhooks for that order may have been lost."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from app.events.apply import apply
from app.events.types import CartUpdated, Contact, LineItem
from app.flows import abandoned_cart
from app.flows.engine.platform_orders import RETRY_AFTER
from app.flows.engine.settings import save_settings
from app.models import FlowRun, Message, Shop, ShopScope, db
from tests.support.flows import START
from tests.support.shopify import GRAPHQL_URL, shopify_http, shopify_shop
from tests.support.woocommerce import STORE_URL, public_test_hosts, woo_shop

__all__ = ["public_test_hosts", "shopify_http", "shopify_shop", "woo_shop"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHOPPER = "ania@example.com"
WOO_ORDERS = f"{STORE_URL}/wp-json/wc/v3/orders"


def shopify_orders(*emails: str) -> dict[str, Any]:
    """The documented ``orders`` answer, one node per email given."""
    answer = json.loads((FIXTURES / "shopify" / "orders_since.json").read_text())
    sample = answer["data"]["orders"]["nodes"][0]
    nodes = [{**sample, "email": email, "createdAt": "2026-11-20T10:20:00Z"} for email in emails]
    answer["data"]["orders"]["nodes"] = nodes
    return answer


def woo_order(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(json.loads((FIXTURES / "woocommerce" / "order.json").read_text()))
    order["billing"]["email"] = SHOPPER
    order.update(changes)
    return order


def ready(shop: Shop, reconciled_at: datetime) -> Shop:
    """The shop's branding, the abandoned-cart flow on, and when its reconcile last ran."""
    shop.settings = {
        **shop.settings,
        "address": "ul. Mokotowska 1, 00-640 Warszawa",
        "sender_email": "hello@shop.example",
        "reconcile": {"at": reconciled_at.isoformat()},
    }
    save_settings(shop.id, abandoned_cart.FLOW, {}, enabled=True)
    db.session.commit()
    return shop


def leave_cart(shop: Shop) -> None:
    """The shopper leaves a cart at START, as the platform's cart event says."""
    apply(
        CartUpdated(
            shop_id=shop.id,
            cart_key="c-1",
            customer=Contact(email=SHOPPER, first_name="Ania", locale="pl", email_consent=True),
            items=(
                LineItem(
                    product_id="1001",
                    quantity=2,
                    unit_price=Decimal("189.00"),
                    title="Linen shirt",
                    url="https://shop.example/products/1001",
                ),
            ),
            total=Decimal("378.00"),
            currency="PLN",
            restore_url="https://shop.example/cart/recover/c-1",
            updated_at=START,
        )
    )
    db.session.commit()


def outcome(shop: Shop) -> tuple[FlowRun, list[Message]]:
    db.session.expire_all()
    (run,) = ShopScope(shop.id).all(FlowRun)
    return run, ShopScope(shop.id).all(Message)


STALE = START + timedelta(minutes=30)  # reconciled after the cart was last touched
FRESH = START - timedelta(hours=1)


def test_shopify_order_missed_by_webhooks_stops_the_run_without_an_email(
    shopify_shop, shopify_http, sim_clock, tick
):
    ready(shopify_shop, STALE)
    leave_cart(shopify_shop)
    shopify_http.add(responses.POST, GRAPHQL_URL, json=shopify_orders(SHOPPER))

    tick(minutes=61)

    run, messages = outcome(shopify_shop)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")
    assert messages == []
    (call,) = shopify_http.calls
    asked = json.loads(call.request.body)["variables"]["query"]
    assert asked == f"email:'{SHOPPER}' AND created_at:>='2026-11-20T10:00:00+00:00'"


def test_woocommerce_order_missed_by_webhooks_stops_the_run_without_an_email(
    woo_shop, sim_clock, tick
):
    ready(woo_shop, STALE)
    leave_cart(woo_shop)
    with responses.RequestsMock() as store:
        store.get(
            WOO_ORDERS,
            json=[woo_order(status="processing")],
            match=[
                matchers.query_param_matcher(
                    {"search": SHOPPER, "after": "2026-11-20T10:00:00", "dates_are_gmt": "true"},
                    strict_match=False,
                )
            ],
        )
        tick(minutes=61)

    run, messages = outcome(woo_shop)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")
    assert messages == []


def test_platform_orders_by_someone_else_or_cancelled_do_not_stop_the_reminder(
    woo_shop, sim_clock, tick
):
    ready(woo_shop, STALE)
    leave_cart(woo_shop)
    other = woo_order(status="completed")
    other["billing"]["email"] = "hania@example.com"  # ``search`` matches substrings too
    with responses.RequestsMock() as store:
        store.get(WOO_ORDERS, json=[other, woo_order(status="cancelled")])
        tick(minutes=61)

    run, messages = outcome(woo_shop)
    assert run.state == "active"
    assert [m.status for m in messages] == ["sent"]


def test_cart_newer_than_the_last_reconcile_is_sent_without_asking_the_platform(
    shopify_shop, shopify_http, sim_clock, tick
):
    ready(shopify_shop, FRESH)
    leave_cart(shopify_shop)

    tick(minutes=61)

    run, messages = outcome(shopify_shop)
    assert len(shopify_http.calls) == 0  # platforms rate-limit: fresh carts trust our own orders
    assert [m.status for m in messages] == ["sent"]
    assert run.state == "active"  # waiting for the next reminder


SHOPIFY_DENIED = {
    "errors": [
        {"message": "Access denied for orders field.", "extensions": {"code": "ACCESS_DENIED"}}
    ]
}


def _shopify_fails(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, GRAPHQL_URL, json=SHOPIFY_DENIED, status=403)


def _woo_fails(rsps: responses.RequestsMock) -> None:
    body = {"code": "internal_server_error", "message": "Error", "data": {"status": 500}}
    rsps.get(WOO_ORDERS, json=body, status=500)


@pytest.fixture()
def store_http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.mark.parametrize(
    ("platform", "fail"),
    [(("shopify_shop", "shopify_http"), _shopify_fails), (("woo_shop", "store_http"), _woo_fails)],
)
def test_failed_platform_check_defers_the_step_and_sends_once_the_platform_answers(
    request,
    platform: tuple[str, str],
    fail: Callable[[responses.RequestsMock], None],
    sim_clock,
    tick,
):
    shop = request.getfixturevalue(platform[0])
    rsps = request.getfixturevalue(platform[1])
    ready(shop, STALE)
    leave_cart(shop)
    fail(rsps)
    tick(minutes=61)

    run, messages = outcome(shop)
    assert messages == []
    assert run.state == "active" and run.context["deferrals"] == 1
    assert run.context["deferred"] == "platform_unreachable"
    assert run.next_step_at == sim_clock.now() + RETRY_AFTER

    rsps.reset()
    if platform[0] == "shopify_shop":
        rsps.add(responses.POST, GRAPHQL_URL, json=shopify_orders())
    else:
        rsps.get(WOO_ORDERS, json=[])
    tick(minutes=15)

    run, messages = outcome(shop)
    assert [m.status for m in messages] == ["sent"]


def test_platform_that_cannot_tell_leaves_the_decision_to_our_own_orders(shop, sim_clock, tick):
    ready(shop, STALE)  # the demo platform has no order API: ``orders_since`` answers None
    leave_cart(shop)

    tick(minutes=61)

    run, messages = outcome(shop)
    assert run.state == "active"
    assert [m.status for m in messages] == ["sent"]
