"""Shopify deliveries through the real ingest path: HMAC, dedupe, ordering, compliance."""

from __future__ import annotations

import json

import sqlalchemy as sa

from app.connectors.shopify import PLATFORM
from app.models import AuditLog, Cart, Customer, FlowRun, Order, Shop, WebhookDelivery, db, utcnow
from tests.conftest import sign
from tests.support.shopify import load


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(sa.select(WebhookDelivery)))


def test_bad_hmac_is_401_and_stores_nothing(shopify_shop, post_shopify_webhook):
    response = post_shopify_webhook("checkouts/create", load("checkouts_create"), secret="wrong")
    assert response.status_code == 401
    assert _deliveries() == []


def test_compliance_webhook_with_bad_hmac_is_401(shopify_shop, post_shopify_webhook):
    for topic, name in (
        ("customers/data_request", "customers_data_request"),
        ("customers/redact", "customers_redact"),
        ("shop/redact", "shop_redact"),
    ):
        response = post_shopify_webhook(topic, load(name), secret="not-the-app-secret")
        assert response.status_code == 401, topic
    assert _deliveries() == []


def _post_raw(client, headers: dict[str, str], body: bytes):
    return client.post(
        "/webhooks/shopify", data=body, headers={"Content-Type": "application/json", **headers}
    )


def _routing(app, body: bytes, changes: dict[str, str | None], secret: str | None = None):
    """Shopify's headers for ``body``; a change to None leaves that header out."""
    headers: dict[str, str | None] = {
        "X-Shopify-Topic": "products/delete",
        "X-Shopify-Hmac-Sha256": sign(secret or app.config["SHOPIFY_API_SECRET"], body),
        "X-Shopify-Shop-Domain": "storeflow-test.myshopify.com",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        **changes,
    }
    return {name: value for name, value in headers.items() if value is not None}


def test_bad_hmac_without_routing_headers_or_with_a_foreign_domain_is_401(
    app, client, shopify_shop
):
    body = json.dumps(load("products_delete")).encode()
    for changes in (
        {"X-Shopify-Topic": None},
        {"X-Shopify-Shop-Domain": None},
        {"X-Shopify-Webhook-Id": None},
        {"X-Shopify-Shop-Domain": "shop.evil.example"},
    ):
        forged = _routing(app, body, changes, secret="not-the-app-secret")
        assert _post_raw(client, forged, body).status_code == 401, changes
        # Signed by Shopify but not routable: a malformed request, 400.
        assert _post_raw(client, _routing(app, body, changes), body).status_code == 400, changes
    assert _deliveries() == []
    assert _post_raw(client, _routing(app, body, {}), body).status_code == 200


def test_previous_secret_is_accepted_during_rotation(app, shopify_shop, post_shopify_webhook):
    app.config["SHOPIFY_PREVIOUS_API_SECRET"] = "old-secret"
    try:
        response = post_shopify_webhook(
            "products/delete", load("products_delete"), secret="old-secret"
        )
    finally:
        app.config["SHOPIFY_PREVIOUS_API_SECRET"] = ""
    assert response.status_code == 200


def test_lower_case_headers_from_http2_are_understood(app, shopify_shop):
    # Flask's test client title-cases header names, so the connector is called directly with
    # the lower-case names an HTTP/2 proxy can hand us.
    body = json.dumps(load("products_delete")).encode()
    headers = {
        "x-shopify-topic": "products/delete",
        "x-shopify-shop-domain": shopify_shop.domain,
        "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "x-shopify-event-id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
        "x-shopify-hmac-sha256": sign(app.config["SHOPIFY_API_SECRET"], body),
        "content-type": "application/json",
    }
    envelope = PLATFORM.read_envelope(headers, body)
    PLATFORM.verify(shopify_shop, headers, body)  # raises SignatureError on a miss
    assert envelope.delivery_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    assert envelope.headers["X-Shopify-Event-Id"] == "98880550-7158-44d4-b7cd-2c97c8a091b5"


def test_non_ascii_hmac_header_is_401_not_500(client, shopify_shop):
    body = json.dumps(load("products_delete")).encode()
    response = client.post(
        "/webhooks/shopify",
        data=body,
        headers={
            "X-Shopify-Topic": "products/delete",
            "X-Shopify-Shop-Domain": shopify_shop.domain,
            "X-Shopify-Webhook-Id": "w-1",
            "X-Shopify-Hmac-Sha256": "\u00e9\u00e9",
        },
    )
    assert response.status_code == 401
    assert _deliveries() == []


def test_duplicate_webhook_id_creates_one_event(shopify_shop, post_shopify_webhook, run_jobs):
    payload = load("checkouts_create")
    first = post_shopify_webhook("checkouts/create", payload, webhook_id="same-id")
    second = post_shopify_webhook("checkouts/create", payload, webhook_id="same-id")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.get_json()["message"] == "duplicate"
    assert len(_deliveries()) == 1
    assert run_jobs("events") == 1
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 1


def test_out_of_order_checkout_updates_keep_the_newer_state(
    shopify_shop, post_shopify_webhook, run_jobs
):
    older = load("checkouts_create")
    newer = load(
        "checkouts_create",
        updated_at="2022-01-01T10:00:00-05:00",
        total_price="199.00",
        line_items=load("checkouts_create")["line_items"][:1],
    )
    post_shopify_webhook("checkouts/update", newer, webhook_id="w-newer")
    run_jobs("events")
    post_shopify_webhook("checkouts/update", older, webhook_id="w-older")
    run_jobs("events")
    db.session.expire_all()
    cart = db.session.scalars(sa.select(Cart)).one()
    assert cart.cart_key == "123123123"
    assert str(cart.total) == "199.00"
    assert len(cart.items) == 1
    assert cart.restore_url == older["abandoned_checkout_url"]
    assert all(row.status == "processed" for row in _deliveries())


def test_checkout_then_order_marks_the_cart_converted(shopify_shop, post_shopify_webhook, run_jobs):
    post_shopify_webhook("checkouts/create", load("checkouts_create"), webhook_id="w-1")
    order = load(
        "orders_create", checkout_token="123123123", cancelled_at=None, financial_status="paid"
    )
    post_shopify_webhook("orders/paid", order, webhook_id="w-2")
    run_jobs("events")
    db.session.expire_all()
    cart = db.session.scalars(sa.select(Cart)).one()
    saved = db.session.scalars(sa.select(Order)).one()
    assert cart.status == "converted"
    assert (saved.platform_order_id, saved.paid, str(saved.total)) == (
        "820982911946154508",
        True,
        "404.95",
    )


def test_unknown_topic_is_answered_200_and_ignored(shopify_shop, post_shopify_webhook):
    response = post_shopify_webhook("collections/create", {"id": 408372092144951419})
    assert response.status_code == 200
    assert _deliveries()[0].status == "ignored"


def test_uninstall_stops_every_run_and_drops_tokens(shopify_shop, post_shopify_webhook, run_jobs):
    for n in range(3):
        db.session.add(
            FlowRun(
                shop_id=shopify_shop.id,
                flow_key="abandoned_cart",
                subject_key=f"cart:{n}",
                started_at=utcnow(),
                next_step_at=utcnow(),
            )
        )
    db.session.commit()
    post_shopify_webhook("app/uninstalled", load("app_uninstalled"))
    run_jobs("events")
    db.session.expire_all()
    shop = db.session.get(Shop, shopify_shop.id)
    assert shop.status == "uninstalled"
    assert shop.credentials == {}
    runs = list(db.session.scalars(sa.select(FlowRun)))
    assert [r.state for r in runs] == ["cancelled"] * 3
    assert all(r.next_step_at is None for r in runs)


def test_webhooks_after_uninstall_change_nothing_but_redaction_still_applies(
    shopify_shop, post_shopify_webhook, run_jobs
):
    order = load("orders_create", email="john@example.com", id=299938, cancelled_at=None)
    order["customer"] = dict(order["customer"], id=191167)
    post_shopify_webhook("orders/create", order, webhook_id="w-before")
    run_jobs("events")
    post_shopify_webhook("app/uninstalled", load("app_uninstalled"), webhook_id="w-uninstall")
    run_jobs("events")
    # Late deliveries (retries, reordering) after the uninstall:
    post_shopify_webhook("checkouts/create", load("checkouts_create"), webhook_id="w-late-cart")
    cancelled = load("orders_create", id=299938, cancelled_at="2026-11-21T10:00:00-05:00")
    post_shopify_webhook("orders/cancelled", cancelled, webhook_id="w-late-order")
    post_shopify_webhook("customers/redact", load("customers_redact"), webhook_id="w-redact")
    run_jobs("events")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 0
    assert db.session.scalars(sa.select(Order)).one().cancelled is False
    by_id = {row.delivery_id: row for row in _deliveries()}
    assert by_id["w-late-cart"].status == by_id["w-late-order"].status == "ignored"
    # (why they were ignored, "uninstalled", is then blanked by the redaction: the late cart's
    # body named the redacted customer)
    assert by_id["w-late-cart"].last_error == "redacted: personal data erased"
    assert by_id["w-before"].status == by_id["w-redact"].status == "processed"
    assert db.session.scalars(sa.select(Customer)).one().redacted_at is not None


def test_delivery_received_before_the_uninstall_but_processed_after_changes_nothing(
    shopify_shop, post_shopify_webhook, run_jobs
):
    post_shopify_webhook("checkouts/create", load("checkouts_create"), webhook_id="w-cart")
    shopify_shop.status = "uninstalled"  # the uninstall was applied first
    db.session.commit()
    run_jobs("events")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 0
    assert _deliveries()[0].status == "ignored"


def test_customers_redact_erases_personal_data_and_keeps_anonymous_order(
    shopify_shop, post_shopify_webhook, run_jobs
):
    order = load(
        "orders_create", email="john@example.com", contact_email="john@example.com", id=299938
    )
    order["customer"] = dict(order["customer"], id=191167)
    post_shopify_webhook("orders/create", order, webhook_id="w-order")
    post_shopify_webhook("customers/redact", load("customers_redact"), webhook_id="w-redact")
    run_jobs("events")
    db.session.expire_all()
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.email, customer.phone, customer.first_name, customer.platform_customer_id) == (
        None,
        None,
        "",
        None,
    )
    assert customer.redacted_at is not None
    kept = db.session.scalars(sa.select(Order)).one()
    assert (kept.email, kept.shipping_address, str(kept.total)) == (None, {}, "404.95")


def test_shop_redact_erases_the_shops_personal_data(shopify_shop, post_shopify_webhook, run_jobs):
    post_shopify_webhook("checkouts/create", load("checkouts_create"), webhook_id="w-1")
    post_shopify_webhook("orders/create", load("orders_create"), webhook_id="w-2")
    run_jobs("events")
    post_shopify_webhook("shop/redact", load("shop_redact"), webhook_id="w-3")
    run_jobs("events")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 0
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.email, order.customer_id, order.shipping_address) == (None, None, {})
    assert db.session.get(Shop, shopify_shop.id).status == "redacted"


def test_customer_consent_from_shopify_reaches_the_customer_row(
    shopify_shop, post_shopify_webhook, run_jobs
):
    payload = load("customers_create")
    payload["email_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2021-12-31T19:00:00-05:00",
    }
    post_shopify_webhook("customers/update", payload, webhook_id="w-consent")
    run_jobs("events")
    customer = db.session.scalars(sa.select(Customer)).one()
    assert (customer.email, customer.email_consent, customer.email_consent_source) == (
        "bob@biller.com",
        "granted",
        "shopify",
    )
    assert customer.is_marketing_allowed("email")


def test_customer_data_request_records_a_json_export_in_the_audit_log(
    shopify_shop, post_shopify_webhook, run_jobs
):
    order = load("orders_create", email="john@example.com", id=299938)
    order["customer"] = dict(order["customer"], id=191167)
    post_shopify_webhook("orders/create", order, webhook_id="w-order")
    post_shopify_webhook(
        "customers/data_request", load("customers_data_request"), webhook_id="w-dr"
    )
    run_jobs("events")
    (entry,) = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "customer_data_request")
    ).all()
    assert entry.subject == "request:9999"
    assert entry.details["customer"]["email"] == "john@example.com"
    assert [o["id"] for o in entry.details["orders"]] == ["299938"]


def test_paid_order_arriving_before_its_creation_stays_paid(
    shopify_shop, post_shopify_webhook, run_jobs
):
    created = load("orders_create", cancelled_at=None, financial_status="pending")
    paid = load(
        "orders_create",
        cancelled_at=None,
        financial_status="paid",
        updated_at="2021-12-31T19:05:00-05:00",
    )
    post_shopify_webhook("orders/paid", paid, webhook_id="w-paid")
    run_jobs("events")
    post_shopify_webhook("orders/create", created, webhook_id="w-created")
    run_jobs("events")
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order)).one()
    assert order.paid is True
    assert order.platform_updated_at.isoformat() == "2022-01-01T00:05:00+00:00"
