"""``POST /collect/<platform>``: the storefront collector (key + origin, limits, batches)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.emails.tracking import identity_token
from app.models import Customer, Shop, StorefrontEvent, StorefrontVisitor, db, utcnow
from app.pipeline.storefront import MAX_EVENTS, ensure_collect_key
from app.web import collect

ORIGIN = "https://shop.example"
VISITOR = "v-0123456789abcdef"


@pytest.fixture()
def tracked_shop(shop: Shop) -> Shop:
    ensure_collect_key(shop)
    db.session.commit()
    return shop


def batch(shop: Shop, *events: dict[str, Any], **extra: Any) -> dict[str, Any]:
    at = utcnow().isoformat()
    return {
        "shop": shop.domain,
        "key": shop.storefront_tracking.collect_key,
        "visitor": VISITOR,
        "events": list(events) or [{"type": "product_viewed", "product_id": "101", "at": at}],
        **extra,
    }


def view(product_id: str = "101", **extra: Any) -> dict[str, Any]:
    return {"type": "product_viewed", "product_id": product_id, "at": utcnow().isoformat(), **extra}


def post(client: FlaskClient, body: Any, origin: str | None = ORIGIN) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.post("/collect/demo", json=body, headers=headers)


def stored() -> list[StorefrontEvent]:
    return list(db.session.scalars(sa.select(StorefrontEvent).order_by(StorefrontEvent.id)))


def test_batch_of_events_is_stored_and_answered_204(client: FlaskClient, tracked_shop: Shop):
    body = batch(
        tracked_shop,
        view("101", variant_id="1011"),
        {"type": "collection_viewed", "collection_id": "shirts", "at": utcnow().isoformat()},
        {"type": "search_submitted", "query": " linen shirt ", "at": utcnow().isoformat()},
    )
    response = post(client, body)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    rows = stored()
    assert [(r.kind, r.product_id, r.variant_id, r.detail) for r in rows] == [
        ("product_viewed", "101", "1011", None),
        ("collection_viewed", None, None, "shirts"),
        ("search_submitted", None, None, "linen shirt"),
    ]
    assert {r.visitor_id for r in rows} == {VISITOR} and {r.shop_id for r in rows} == {
        tracked_shop.id
    }


def test_wrong_key_is_401_and_nothing_stored(client: FlaskClient, tracked_shop: Shop):
    response = post(client, {**batch(tracked_shop), "key": "guessed"})
    assert response.status_code == 401
    assert stored() == []
    assert post(client, batch(tracked_shop)).status_code == 204


def test_shop_without_collect_key_refuses_everything(client: FlaskClient, shop: Shop):
    assert post(client, {**batch(shop), "key": ""}).status_code == 401
    assert stored() == []


def test_foreign_origin_is_403_and_nothing_stored(client: FlaskClient, tracked_shop: Shop):
    assert post(client, batch(tracked_shop), origin="https://evil.example").status_code == 403
    assert post(client, batch(tracked_shop), origin=None).status_code == 403
    assert stored() == []


def test_custom_storefront_domain_listed_by_the_shop_is_accepted(
    client: FlaskClient, tracked_shop: Shop
):
    tracking = tracked_shop.storefront_tracking
    tracked_shop.storefront_tracking = type(tracking)(
        collect_key=tracking.collect_key, origins=("https://www.sklep.pl",)
    )
    db.session.commit()
    assert post(client, batch(tracked_shop), origin="https://www.sklep.pl").status_code == 204


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"type": "page_viewed", "at": "2026-01-01T00:00:00Z"}, "type must be one of"),
        ({"type": "product_viewed", "at": "now"}, "not an ISO 8601 time"),
        ({"type": "product_viewed", "product_id": "1", "at": "2026-11-29T10:00:00"}, "time zone"),
        ({"type": "product_viewed", "at": None, "product_id": "1"}, "ISO 8601"),
        ({"type": "product_viewed", "product_id": "", "at": "{now}"}, "product_id"),
        ({"type": "product_viewed", "product_id": "a b", "at": "{now}"}, "product_id"),
        ({"type": "search_submitted", "query": "", "at": "{now}"}, "search terms"),
        ({"type": "product_viewed", "product_id": "1", "at": "{old}"}, "24 hours"),
        ("not an object", "not an object"),
    ],
)
def test_one_bad_event_refuses_the_whole_batch_with_a_400(
    client: FlaskClient, tracked_shop: Shop, event: Any, says: str
):
    if isinstance(event, dict):
        at = {"{now}": utcnow(), "{old}": utcnow() - timedelta(days=3)}.get(event["at"])
        event = {**event, "at": at.isoformat()} if at else event
    response = post(client, batch(tracked_shop, view(), event))
    assert response.status_code == 400
    assert says in response.get_json()["message"]
    assert stored() == []


def test_malformed_bodies_are_400(client: FlaskClient, tracked_shop: Shop):
    bad_json = client.post("/collect/demo", data=b"{nope", headers={"Origin": ORIGIN})
    assert bad_json.status_code == 400
    assert post(client, [1, 2]).status_code == 400
    assert post(client, {**batch(tracked_shop), "visitor": "x"}).status_code == 400
    assert post(client, {**batch(tracked_shop), "events": []}).status_code == 400
    too_many = batch(tracked_shop, *[view() for _ in range(MAX_EVENTS + 1)])
    assert post(client, too_many).status_code == 400
    assert stored() == []


def test_sendbeacon_text_plain_body_is_read_as_json(client: FlaskClient, tracked_shop: Shop):
    # sendBeacon posts text/plain so the browser sends it without a CORS preflight.
    response = client.post(
        "/collect/demo",
        data=json.dumps(batch(tracked_shop)),
        headers={"Origin": ORIGIN, "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert response.status_code == 204
    assert len(stored()) == 1


@pytest.fixture
def one_window() -> None:
    """The limits' windows are aligned to the clock (``time() // WINDOW``): a test whose hits
    straddle a window's end would see them counted in two windows. Start it in a fresh one
    when the current window has less than 5 seconds left."""
    left = collect.WINDOW - time.time() % collect.WINDOW
    if left < 5:
        time.sleep(left + 0.05)


def test_visitor_over_the_limit_gets_429_and_others_go_on(
    client: FlaskClient, tracked_shop: Shop, monkeypatch: pytest.MonkeyPatch, one_window: None
):
    monkeypatch.setattr(collect, "VISITOR_LIMIT", 2)
    assert [post(client, batch(tracked_shop)).status_code for _ in range(3)] == [204, 204, 429]
    other = {**batch(tracked_shop), "visitor": "v-someone-else-0001"}
    assert post(client, other).status_code == 204
    assert len(stored()) == 3


def test_shop_over_its_limit_gets_429(
    client: FlaskClient, tracked_shop: Shop, monkeypatch: pytest.MonkeyPatch, one_window: None
):
    monkeypatch.setattr(collect, "SHOP_LIMIT", 1)
    first = post(client, batch(tracked_shop))
    second = post(client, {**batch(tracked_shop), "visitor": "v-someone-else-0001"})
    assert (first.status_code, second.status_code) == (204, 429)
    assert int(second.headers["Retry-After"]) >= 1


def test_known_customer_links_the_visitor_and_earlier_views_join_them(
    client: FlaskClient, tracked_shop: Shop, customer: Customer
):
    assert post(client, batch(tracked_shop, view("101"))).status_code == 204
    assert stored()[0].customer_id is None
    token = identity_token(tracked_shop.id, customer.id)  # from a click on our email
    identified = batch(tracked_shop, view("102"), customer={"token": token})
    assert post(client, identified).status_code == 204
    assert post(client, batch(tracked_shop, view("103"))).status_code == 204
    assert [r.customer_id for r in stored()] == [customer.id] * 3
    link = db.session.scalars(sa.select(StorefrontVisitor)).one()
    assert (link.visitor_id, link.customer_id) == (VISITOR, customer.id)


def test_unknown_customer_is_not_created_by_the_collector(
    client: FlaskClient, tracked_shop: Shop, customer: Customer
):
    body = batch(tracked_shop, customer={"email": "stranger@example.com"})
    assert post(client, body).status_code == 204
    assert stored()[0].customer_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1


def test_preflight_allows_post_from_the_page(client: FlaskClient, tracked_shop: Shop):
    response = client.options("/collect/demo", headers={"Origin": ORIGIN})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "POST"


def test_unknown_platform_is_404(client: FlaskClient, tracked_shop: Shop):
    assert client.post("/collect/nope", json=batch(tracked_shop)).status_code == 404


def test_sign_in_alone_links_the_visitor_and_stores_no_event(
    client: FlaskClient, tracked_shop: Shop, customer: Customer
):
    assert post(client, batch(tracked_shop, view("101"))).status_code == 204
    token = identity_token(tracked_shop.id, customer.id)
    sign_in = {**batch(tracked_shop), "events": [], "customer": {"token": token}}
    assert post(client, sign_in).status_code == 204
    assert [(r.product_id, r.customer_id) for r in stored()] == [("101", customer.id)]


def test_woocommerce_store_is_known_by_its_url_and_the_key_derived_from_its_secret(
    client: FlaskClient, make_shop
):
    secret = "ab" * 32
    store = make_shop(
        platform="woocommerce",
        domain="sklep.example/shop",
        credentials={"shared_secret": secret},
        settings={"store_url": "https://sklep.example/shop"},
    )
    # What the plugin's ProductViews::collect_key() computes in PHP.
    key = hmac.new(secret.encode(), b"storeflow collect key", hashlib.sha256).hexdigest()[:32]
    body = {
        "shop": "https://sklep.example/shop",
        "key": key,
        "visitor": VISITOR,
        "events": [view("12")],
    }
    origin = "https://sklep.example"
    response = client.post("/collect/woocommerce", json=body, headers={"Origin": origin})
    assert response.status_code == 204
    assert [(r.shop_id, r.product_id) for r in stored()] == [(store.id, "12")]
    wrong = client.post(
        "/collect/woocommerce", json={**body, "key": "0" * 32}, headers={"Origin": origin}
    )
    assert wrong.status_code == 401


def test_an_oversized_body_is_413_and_nothing_stored(client: FlaskClient, tracked_shop: Shop):
    body = batch(tracked_shop, view(), padding="x" * (collect.MAX_BODY + 1))
    assert post(client, body).status_code == 413
    assert stored() == []


def test_woocommerce_customer_is_believed_only_with_the_plugins_signature(
    client: FlaskClient, make_shop, make_customer
):
    secret = "cd" * 32
    store = make_shop(
        platform="woocommerce",
        domain="sklep.example",
        credentials={"shared_secret": secret},
        settings={"store_url": "https://sklep.example"},
    )
    ola = make_customer(store, platform_customer_id="41")
    key = hmac.new(secret.encode(), b"storeflow collect key", hashlib.sha256).hexdigest()[:32]
    # What the plugin's ProductViews::config() signs in PHP.
    sig = hmac.new(secret.encode(), b"customer:41", hashlib.sha256).hexdigest()

    def send(visitor: str, customer: dict[str, str]) -> int:
        body = {
            "shop": "https://sklep.example",
            "key": key,
            "visitor": visitor,
            "customer": customer,
            "events": [view("12")],
        }
        headers = {"Origin": "https://sklep.example"}
        return client.post("/collect/woocommerce", json=body, headers=headers).status_code

    assert send("v-forged-00000001", {"id": "41", "sig": "0" * 64}) == 204
    assert send("v-unsigned-000001", {"id": "41"}) == 204
    assert send("v-signed-00000001", {"id": "41", "sig": sig}) == 204
    assert [(r.visitor_id, r.customer_id) for r in stored()] == [
        ("v-forged-00000001", None),
        ("v-unsigned-000001", None),
        ("v-signed-00000001", ola.id),
    ]
