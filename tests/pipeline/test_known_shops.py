"""Shops remembered by a web process (``app/pipeline/known_shops.py``): faster, never wrong for
long. "Another process" changes a shop here by a plain UPDATE that this process's ORM does not
see, as a worker's commit would be."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from app import crypto
from app.models import Shop, StorefrontEvent, WebhookDelivery, db, utcnow
from app.pipeline import known_shops
from app.pipeline.storefront import ensure_collect_key
from tests.conftest import sign

CART = {"cart_key": "c-1", "items": [], "updated_at": "2026-11-20T10:00:00Z"}


def changed_elsewhere(shop: Shop, **values: Any) -> None:
    """Change the shop's row the way another process would: not through this session."""
    if "credentials" in values:
        values["credentials_encrypted"] = crypto.encrypt_json(values.pop("credentials"))
    with db.engine.begin() as conn:
        conn.execute(sa.update(Shop).where(Shop.id == shop.id).values(**values))
    db.session.expire_all()  # the test's own session (the in-process worker's) reads it anew


def after_the_ttl(monkeypatch: Any) -> None:
    later = known_shops.time.monotonic() + known_shops.TTL + 1
    monkeypatch.setattr(known_shops.time, "monotonic", lambda: later)


def stored() -> list[tuple[str, str]]:
    rows = db.session.execute(sa.select(WebhookDelivery.delivery_id, WebhookDelivery.status))
    return sorted((delivery_id, status) for delivery_id, status in rows)


def test_a_shop_is_read_once_then_remembered(app, shop: Shop):
    first, fresh = known_shops.find("demo", shop.domain)
    again, fresh_again = known_shops.find("demo", shop.domain)
    assert first is not None and first.id == shop.id
    assert (fresh, fresh_again) == (True, False)
    assert again is first


def test_a_shop_changed_through_this_process_is_read_again_at_once(app, shop: Shop):
    known_shops.find("demo", shop.domain)
    shop.status = "uninstalled"
    db.session.commit()
    found, fresh = known_shops.find("demo", shop.domain)
    assert fresh and found is not None and found.status == "uninstalled"


def test_a_rotated_secret_works_on_the_first_delivery_signed_with_it(post_demo_webhook, shop):
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-old").status_code == 200
    changed_elsewhere(shop, credentials={"webhook_secret": "n3w-secret"})

    response = post_demo_webhook("cart/updated", CART, delivery_id="d-new", secret="n3w-secret")

    assert response.status_code == 200
    assert stored() == [("d-new", "received"), ("d-old", "received")]


def test_the_replaced_secret_is_refused_once_the_remembered_shop_expires(
    post_demo_webhook, shop, monkeypatch
):
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-1").status_code == 200
    changed_elsewhere(shop, credentials={"webhook_secret": "n3w-secret"})
    # Within the TTL the old secret still verifies, as the previous secret does during any
    # rotation (deliveries already in flight were signed with it).
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-2").status_code == 200
    after_the_ttl(monkeypatch)

    response = post_demo_webhook("cart/updated", CART, delivery_id="d-3")

    assert response.status_code == 401
    assert stored() == [("d-1", "received"), ("d-2", "received")]


def test_a_shop_uninstalled_elsewhere_has_its_late_deliveries_ignored_as_before(
    post_demo_webhook, shop: Shop, run_jobs: Callable[..., int]
):
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-1").status_code == 200
    assert run_jobs("events") == 1
    changed_elsewhere(shop, status="uninstalled", uninstalled_at=utcnow())

    # Remembered as active for a moment: stored, and the worker (which reads the shop) ignores
    # it, exactly like a delivery that was in flight when the uninstall came.
    assert post_demo_webhook("cart/updated", CART, delivery_id="d-2").status_code == 200
    assert run_jobs("events") == 1

    assert stored() == [("d-1", "processed"), ("d-2", "ignored")]


def test_a_woocommerce_store_disconnected_here_is_refused_at_once(post_wc_webhook, woo_shop: Shop):
    payload = {"id": 7, "status": "processing"}
    assert post_wc_webhook("order.created", payload).status_code == 200
    woo_shop.status = "uninstalled"
    db.session.commit()

    assert post_wc_webhook("order.created", payload).status_code == 401
    assert len(stored()) == 1


def test_a_woocommerce_store_disconnected_elsewhere_is_refused_after_the_ttl(
    post_wc_webhook, woo_shop: Shop, monkeypatch
):
    payload = {"id": 7, "status": "processing"}
    assert post_wc_webhook("order.created", payload).status_code == 200
    changed_elsewhere(woo_shop, status="uninstalled")
    after_the_ttl(monkeypatch)

    assert post_wc_webhook("order.created", payload).status_code == 401
    assert len(stored()) == 1


def test_a_collect_key_made_elsewhere_is_accepted_at_once(client: FlaskClient, shop: Shop):
    def post(key: str) -> int:
        body = {
            "shop": shop.domain,
            "key": key,
            "visitor": "v-0123456789abcdef",
            "events": [{"type": "product_viewed", "product_id": "1", "at": utcnow().isoformat()}],
        }
        origin = {"Origin": f"https://{shop.domain}"}
        return client.post("/collect/demo", data=json.dumps(body), headers=origin).status_code

    assert post("no-key-yet") == 401  # the shop has no key: remembered without one
    settings_with_key = Shop(settings=dict(shop.settings))
    key = ensure_collect_key(settings_with_key)
    changed_elsewhere(shop, settings=settings_with_key.settings)

    assert post(key) == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StorefrontEvent)) == 1


def test_signatures_are_checked_on_the_remembered_shop_without_reading_it(
    client: FlaskClient, shop: Shop, monkeypatch
):
    body = json.dumps(CART).encode()
    headers = {
        "X-Demo-Shop": shop.domain,
        "X-Demo-Topic": "cart/updated",
        "X-Demo-Hmac-Sha256": sign("s3cret", body),
    }
    reads = []
    monkeypatch.setattr(known_shops, "reload", _counting(known_shops.reload, reads))
    for n in range(3):
        headers["X-Demo-Delivery-Id"] = f"d-{n}"
        assert client.post("/webhooks/demo", data=body, headers=headers).status_code == 200
    assert len(reads) == 1


def _counting(func: Callable[..., Any], calls: list[Any]) -> Callable[..., Any]:
    def counted(*args: Any) -> Any:
        calls.append(args)
        return func(*args)

    return counted


def test_past_the_limit_the_oldest_shops_are_forgotten_and_read_again_when_needed(
    app, make_shop, monkeypatch
):
    monkeypatch.setattr(known_shops, "MAX_SHOPS", 2)
    shops = [make_shop(n=n) for n in range(3)]
    for shop in shops:
        known_shops.find("demo", shop.domain)

    assert len(app.extensions["storeflow_known_shops"]) <= 2
    found, fresh = known_shops.find("demo", shops[0].domain)
    assert fresh and found is not None and found.id == shops[0].id
