"""A Shopify customer's birth date, read from the customer metafield the merchant names on the
birthday flow's page. Bodies are the documented ``customers/create`` sample
(tests/fixtures/shopify/README.md) with a ``metafields`` list added: Shopify puts the metafields
of the namespaces a subscription names (``WebhookSubscriptionInput.metafieldNamespaces``,
shopify.dev/docs/api/admin-graphql/2026-10/input-objects/WebhookSubscriptionInput) into the
body, each shaped as the REST Metafield resource
(shopify.dev/docs/api/admin-rest/2026-01/resources/metafield), values below field for field."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.connectors.base import ShopRef
from app.connectors.shopify.mapping import parse_customer
from app.connectors.shopify.reconcile import reconcile_shop
from app.connectors.shopify.webhooks import graphql_topic
from app.events import types as ev
from app.flows import birthday
from app.flows.engine.settings import save_settings
from app.models import Customer, ShopScope, db
from tests.support.shopify import FakeShopify, load

BOB_ID = 706405506930370084


def metafield(namespace: str, key: str, value: str, kind: str = "date") -> dict[str, Any]:
    return {
        "id": 721389482,
        "namespace": namespace,
        "key": key,
        "value": value,
        "description": None,
        "owner_id": BOB_ID,
        "created_at": "2021-12-31T19:00:00-05:00",
        "updated_at": "2021-12-31T19:00:00-05:00",
        "owner_resource": "customer",
        "type": kind,
        "admin_graphql_api_id": "gid://shopify/Metafield/721389482",
    }


class QuietShopify(FakeShopify):
    """A shop with nothing to backfill: the reconcile only keeps the subscriptions whole."""

    def other(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        end = {"hasNextPage": False, "endCursor": None}
        if operation == "Orders":
            return {"data": {"orders": {"nodes": [], "pageInfo": end}}}
        if operation == "Checkouts":
            return {"data": {"abandonedCheckouts": {"nodes": [], "pageInfo": end}}}
        return super().other(operation, variables)


def _birthday(body: dict[str, Any], named: str = "facts.birth_date") -> date | None:
    ref = ShopRef(1, "shop.myshopify.com", "USD", birthday_metafield=named)
    (event,) = parse_customer(ref, body)
    assert isinstance(event, ev.CustomerUpdated)
    return event.birthday


def test_the_birth_date_is_read_from_the_named_metafield_only():
    body = load(
        "customers_create",
        metafields=[
            metafield("custom", "favourite_day", "2020-01-01"),
            metafield("facts", "birth_date", "1990-11-23"),
        ],
    )
    assert _birthday(body) == date(1990, 11, 23)
    assert _birthday(body, "custom.favourite_day") == date(2020, 1, 1)
    assert _birthday(body, "custom.born_on") is None
    assert _birthday(load("customers_create")) is None  # the documented sample has none
    broken = load("customers_create", metafields=[metafield("facts", "birth_date", "soon")])
    assert _birthday(broken) is None


def test_a_customer_update_stores_the_birthday_from_the_merchants_metafield(
    shopify_shop, post_shopify_webhook, run_jobs
):
    save_settings(shopify_shop.id, birthday.FLOW, {"birthday_metafield": "custom.born_on"})
    db.session.commit()
    body = load(
        "customers_create",
        updated_at="2026-11-20T10:00:00+00:00",
        metafields=[metafield("custom", "born_on", "1988-02-29")],
    )
    assert post_shopify_webhook("customers/update", body).status_code == 200
    run_jobs("events")

    customer = ShopScope(shopify_shop.id).first(Customer, Customer.email == "bob@biller.com")
    assert customer is not None and customer.birthday == date(1988, 2, 29)


def test_customer_subscriptions_carry_the_metafields_namespace_and_follow_its_change(
    shopify_shop, shopify_http
):
    fake = QuietShopify(shopify_http)
    reconcile_shop(shopify_shop.id)
    customers = [
        s for s in fake.subscriptions if s["topic"] in ("CUSTOMERS_CREATE", "CUSTOMERS_UPDATE")
    ]
    assert sorted(s["topic"] for s in customers) == ["CUSTOMERS_CREATE", "CUSTOMERS_UPDATE"]
    assert all(s["metafieldNamespaces"] == ["facts"] for s in customers)
    others = [s for s in fake.subscriptions if s not in customers]
    assert others and all(s["metafieldNamespaces"] == [] for s in others)
    assert graphql_topic("customers/delete") in {s["topic"] for s in others}

    save_settings(shopify_shop.id, birthday.FLOW, {"birthday_metafield": "custom.born_on"})
    db.session.commit()
    report = reconcile_shop(shopify_shop.id)

    assert sorted(report["subscriptions_recreated"]) == ["customers/create", "customers/update"]
    assert fake.operations().count("UpdateSubscription") == 2
    assert all(s["metafieldNamespaces"] == ["custom"] for s in customers)
