"""Erasure that erases: one shopper's email, phone, name and street are planted in every place
our data model can hold them, the redaction runs as Shopify (or the WordPress eraser) asks for
it, and then every text, JSON and binary column of every table, and every key and value of
Redis, is searched for those strings. Nothing may be found; before the redaction, the same
search finds each of them (so the search is not blind).

The columns come from the models' metadata: a new table or column fails
``test_every_column_that_can_hold_text_is_classified`` until it is either planted here or
named as not personal, with the reason.

Shopify bodies are the documented samples (tests/fixtures/shopify/README.md) with only the
personal fields changed; the plugin's ``customer.erase`` body is documented in
``app/connectors/woocommerce/plugin_events.py``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import zlib
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.emails.senders import OutgoingEmail, get_sender
from app.models import (
    AuditLog,
    Cart,
    Customer,
    Discount,
    FlowRun,
    LabelBatch,
    Message,
    Order,
    Shipment,
    ShipmentEvent,
    ShopScope,
    StorefrontEvent,
    Suppression,
    WebhookDelivery,
    db,
    utcnow,
)
from app.pipeline import queues
from app.web.rate_limit import over_limit
from tests.support.shopify import load

WOO_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "woocommerce"

EMAIL = "Zofia.Erasure-Test@Example.com"
PHONE = "+48 601 234 987"
FIRST, LAST = "Zofia", "Wąsowicz-Testowa"
STREET = "ul. Źródlana 17/3"
NEEDLES = (EMAIL, PHONE, FIRST, LAST, STREET)
CUSTOMER_ID = 191167  # the compliance samples' customer
ADDRESS = {
    "first_name": FIRST,
    "last_name": LAST,
    "name": f"{FIRST} {LAST}",
    "address1": STREET,
    "phone": PHONE,
    "city": "Kraków",
    "zip": "30-001",
    "country_code": "PL",
}

# Where the model can hold a shopper's data: every one of these is planted below.
PLANTED = {
    "audit_log": {"subject", "details"},
    "carts": {"email", "phone"},
    "customers": {"email", "phone", "first_name", "last_name", "address"},
    "discounts": {"recipient"},
    "flow_runs": {"context"},
    "messages": {"recipient", "subject", "error", "meta"},
    "orders": {"email", "shipping_address"},
    "shipments": {"label", "error", "request"},
    "shipment_events": {"courier_status", "location"},
    "label_batches": {"failures", "content"},
    "storefront_events": {"detail"},
    "suppressions": {"address"},
    "webhook_deliveries": {"body", "last_error"},
}
# Text columns that never hold a shopper's data, and why.
NOT_PERSONAL = {
    "shops": "the merchant's shop: names, settings and its encrypted credentials",
    "support_users": "our support staff",
    "flow_settings": "the merchant's flow settings",
    "email_overrides": "the merchant's own email text (templates, no shopper's values)",
    "products": "the catalog",
    "variants": "the catalog",
    "recommendations": "product pairs computed from anonymous order lines",
    "order_lines": "product ids of orders (the recommendation model's input)",
    "catalog_changes": "the catalog's price drops and restocks (product ids, prices)",
    "product_alerts.product_id": "the platform's product id, beside a customer id only",
    "product_alerts.variant_id": "the platform's variant id, beside a customer id only",
    "product_alerts.kind": "price_drop or back_in_stock",
    "audit_log.actor": "who acted: system, support staff or the merchant",
    "audit_log.action": "a fixed action name",
    "customers.platform_customer_id": "the platform's id, nulled on erasure",
    "customers.locale": "a language code",
    "orders.refunds": "refund ids and amounts (no names, no addresses)",
    "customers.email_consent": "a consent state",
    "customers.sms_consent": "a consent state",
    "customers.email_consent_source": "where consent came from (platform, checkout)",
    "customers.sms_consent_source": "where consent came from (platform, checkout)",
    "customers.email_consent_ip": "a double opt-in click's IP, nulled on erasure (_anonymise)",
    "suppressions.channel": "email or sms",
    "suppressions.reason": "unsubscribe, bounce, complaint",
    "webhook_deliveries.platform": "shopify or woocommerce",
    "webhook_deliveries.delivery_id": "the platform's delivery id",
    "webhook_deliveries.topic": "the topic name",
    "webhook_deliveries.headers": "routing headers (topic, shop, ids, signature time)",
    "webhook_deliveries.status": "a delivery state",
    "carts.cart_key": "the platform's checkout token",
    "carts.platform_cart_token": "the platform's cart token",
    "carts.items": "product lines: ids, titles, prices",
    "carts.currency": "a currency code",
    "carts.restore_url": "the platform's checkout link (a token, no personal data)",
    "carts.status": "a cart state",
    "orders.platform_order_id": "the platform's id",
    "orders.order_number": "the shop's order number",
    "orders.cart_key": "the platform's checkout token",
    "orders.items": "product lines: ids, titles, prices",
    "orders.currency": "a currency code",
    "orders.payment_method": "the payment gateway's name",
    "flow_runs.flow_key": "a flow name",
    "flow_runs.subject_key": "cart:<token> or customer:<id>",
    "flow_runs.state": "a run state",
    "flow_runs.end_reason": "a fixed reason",
    "shipments.courier": "a courier name",
    "shipments.tracking_status": "one of our tracking states",
    "storefront_events.visitor_id": "a random id the browser made (rows go with the person)",
    "storefront_events.kind": "an event kind",
    "storefront_events.product_id": "the platform's product id",
    "storefront_events.variant_id": "the platform's variant id",
    "storefront_visitors": "random browser ids linked to a customer id (rows go with the person)",
    "storefront_checkout_claims": "a checkout token and a random browser id, kept a day at most",
    "browse_emissions.product_id": "the platform's product id",
    "customer_engagement.stage": "a lifecycle stage name (the row goes with the person)",
    "customer_engagement.previous_stage": "a lifecycle stage name (the row goes with the person)",
    "engagement_stage_changes.from_stage": "a lifecycle stage name (rows go with the person)",
    "engagement_stage_changes.to_stage": "a lifecycle stage name (rows go with the person)",
    "alert_rules": "the merchant's alert rules: a kind, a level, a product page they named",
    "staff_alerts.detail": "what a rule saw: a score, a cart total, a product id (rows go with "
    "the person, tests/insights/test_alerts.py)",
    "lifecycle_emissions.kind": "birthday or replenishment",
    "lifecycle_emissions.key": "a year, or a product id and purchase time (rows go with them)",
    "shipment_events.status": "one of our shipment states",
    "shipment_events.happened_at": "the courier's timestamp text",
    "label_batches.status": "a print job state",
    "label_batches.layout": "a page layout name",
    "label_batches.kind": "pdf or zpl",
    "label_batches.order_ids": "our order ids",
    "label_batches.printed": "order references that printed",
    "shipments.status": "a shipment state",
    "shipments.idempotency_key": "built from ids",
    "shipments.carrier_shipment_id": "the courier's id",
    "shipments.tracking_number": "the courier's number",
    "shipments.tracking_url": "the courier's tracking page",
    "shipments.label_format": "a format name",
    "messages.flow_key": "a flow name, copied from its run",
    "messages.channel": "email or sms",
    "messages.kind": "marketing or transactional",
    "messages.status": "a message state",
    "messages.send_stage": "how far the hand-over to the mail server got",
    "messages.idempotency_key": "built from ids",
    "messages.provider_id": "the provider's message id",
    "discounts.code": "a generated code",
    "discounts.kind": "percentage or fixed",
    "discounts.platform_discount_id": "the platform's id",
}


def _text_columns() -> list[sa.Column[Any]]:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String | sa.Text | sa.JSON | sa.LargeBinary)
    ]


def _variants(needle: str) -> set[str]:
    """The spellings a row may hold the string in: as given and lower-cased (emails are
    stored lower-case), JSON-escaped (a ``json`` column, a raw body), ``/``-escaped (PHP)."""
    found = set()
    for text in {needle, needle.lower()}:
        escaped = json.dumps(text)[1:-1]
        found |= {text, escaped, text.replace("/", "\\/"), escaped.replace("/", "\\/")}
    return found


def search_database(needle: str) -> set[str]:
    """``table.column`` of every column holding ``needle`` in some row, in any spelling."""
    hits = set()
    with db.engine.connect() as conn:
        for column in _text_columns():
            matches = []
            for variant in _variants(needle):
                if isinstance(column.type, sa.LargeBinary):
                    matches.append(
                        sa.text(
                            f'position(:v in "{column.table.name}"."{column.name}") > 0'
                        ).bindparams(sa.bindparam("v", variant.encode(), type_=sa.LargeBinary))
                    )
                else:
                    matches.append(sa.cast(column, sa.Text).contains(variant, autoescape=True))
            for match in matches:
                count = sa.select(sa.func.count()).select_from(column.table).where(match)
                if conn.execute(count).scalar():
                    hits.add(f"{column.table.name}.{column.name}")
                    break
    return hits


def _redis_values(conn: Any, key: bytes) -> list[bytes]:
    """Everything a key holds, whatever its type; zlib data (RQ's job payloads) unpacked."""
    kind = conn.type(key).decode()
    values: list[Any] = {
        "string": lambda: [conn.get(key)],
        "hash": lambda: [p for item in conn.hgetall(key).items() for p in item],
        "list": lambda: conn.lrange(key, 0, -1),
        "set": lambda: list(conn.smembers(key)),
        "zset": lambda: conn.zrange(key, 0, -1),
        "stream": lambda: [
            p for _, entry in conn.xrange(key) for item in entry.items() for p in item
        ],
    }.get(kind, lambda: [])()
    blobs = [v if isinstance(v, bytes) else str(v).encode() for v in values if v is not None]
    unpacked = []
    for blob in blobs:
        with contextlib.suppress(zlib.error):
            unpacked.append(zlib.decompress(blob))
    return blobs + unpacked


def search_redis(needle: str) -> set[str]:
    """Every key of the test's Redis database whose name or value holds ``needle``."""
    conn = queues.redis_connection()
    wanted = {v.encode() for v in _variants(needle)}
    hits = set()
    for key in conn.scan_iter():
        for blob in [key, *_redis_values(conn, key)]:
            if any(w in blob for w in wanted):
                hits.add(key.decode())
    return hits


def search_outbox(directory: Path, needle: str) -> set[str]:
    """The outbox files (rendered emails as sent) that hold ``needle``, decoded or not."""
    hits = set()
    for path in directory.glob("*"):
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace")]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        texts += [
            str(p.get_content()) for p in message.walk() if p.get_content_maintype() == "text"
        ]
        if any(v in text for text in texts for v in _variants(needle)):
            hits.add(path.name)
    return hits


def send_rendered_email(to: str, name: str, street: str, n: int) -> None:
    """A rendered email as the file outbox keeps it (the demo's and development's mail)."""
    get_sender().send(
        OutgoingEmail(
            to=to,
            from_addr="hello@shop.example",
            from_name="Sklep",
            subject=f"{name}, twój koszyk czeka",
            html=f"<p>Cześć {name}!</p><p>Dostawa: {street}</p>",
            text=f"Cześć {name}! Dostawa: {street}",
            message_id=f"<m{n}@storeflow.test>",
        )
    )


def test_every_column_that_can_hold_text_is_classified(app):
    unclassified = [
        f"{c.table.name}.{c.name}"
        for c in _text_columns()
        if c.name not in PLANTED.get(c.table.name, set())
        and c.table.name not in NOT_PERSONAL
        and f"{c.table.name}.{c.name}" not in NOT_PERSONAL
    ]
    assert unclassified == [], "plant these in the erasure test or say why they are not personal"


@pytest.fixture()
def deliver(post_shopify_webhook, run_jobs):
    counter = iter(range(1, 1000))

    def send(topic: str, payload: dict) -> None:
        assert (
            post_shopify_webhook(topic, payload, webhook_id=f"w-{next(counter)}").status_code == 200
        )
        run_jobs("events")
        db.session.expire_all()

    return send


def _compliance_customer() -> dict[str, Any]:
    return {"id": CUSTOMER_ID, "email": EMAIL, "phone": PHONE}


def plant_everywhere(shop, deliver) -> None:
    """One shopper in every place of PLANTED (through Shopify deliveries where one writes it),
    someone else beside them, and the shopper in Redis: a queued job's arguments, a rate-limit
    key, a cached value."""
    person = {
        "id": CUSTOMER_ID,
        "email": EMAIL,
        "phone": PHONE,
        "first_name": FIRST,
        "last_name": LAST,
    }
    customer = load("customers_create", **person, default_address=ADDRESS)
    deliver("customers/create", customer)
    checkout = load(
        "checkouts_create",
        email=EMAIL,
        phone=PHONE,
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        customer=dict(load("checkouts_create")["customer"], **person),
    )
    deliver("checkouts/create", checkout)
    order = load(
        "orders_create",
        id=299938,  # one of the ids the compliance samples name
        email=EMAIL,
        contact_email=EMAIL,
        phone=PHONE,
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        customer=dict(load("orders_create")["customer"], **person),
    )
    deliver("orders/create", order)
    deliver("orders/create", load("orders_create", id=1, email="someone@else.example"))

    scope = ShopScope(shop.id)
    (row,) = scope.all(Customer, Customer.email == EMAIL.lower())
    placed = scope.first(Order, Order.platform_order_id == "299938")
    assert placed is not None
    run = scope.add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:123123123",
            customer_id=row.id,
            started_at=utcnow(),
            next_step_at=utcnow() + timedelta(hours=1),
            context={"cart_key": "123123123", "email": EMAIL.lower(), "phone": PHONE},
        )
    )
    db.session.flush()
    message = scope.add(
        Message(
            run_id=run.id,
            step=0,
            channel="email",
            customer_id=row.id,
            recipient=EMAIL.lower(),
            subject=f"{FIRST} {LAST}, your cart is waiting",
            error=f"550 {EMAIL}: mailbox full",
            meta={"rendered_to": f"{FIRST} {LAST} <{EMAIL}>", "address": STREET},
            idempotency_key=f"run-{run.id}-0",
        )
    )
    scope.add(
        Message(
            run_id=run.id,
            step=1,
            channel="sms",
            recipient=PHONE,
            subject="",
            idempotency_key=f"run-{run.id}-1",
        )
    )
    db.session.flush()
    scope.add(
        Discount(
            code="BACK-ZOFIA1",
            message_id=message.id,
            recipient=EMAIL.lower(),
            amount=Decimal("10"),
            expires_at=utcnow() + timedelta(days=7),
        )
    )
    scope.add(
        Shipment(
            order_id=placed.id,
            courier="own",
            idempotency_key=f"order-{placed.id}-0",
            tracking_number="TRK1",
            request={
                "recipient": {
                    "name": f"{FIRST} {LAST}",
                    "email": EMAIL,
                    "phone": PHONE,
                    "street": STREET,
                }
            },
            label=f"%PDF-1.4 {FIRST} {LAST} {STREET} {PHONE}".encode(),
            error=f"courier refused {STREET}",
        )
    )
    db.session.flush()
    scope.add(
        ShipmentEvent(
            shipment_id=scope.first(Shipment, Shipment.order_id == placed.id).id,
            status="delivered",
            courier_status=f"Delivered, signed by {FIRST} {LAST}",
            happened_at="2026-11-21 10:00",
            location=STREET,
        )
    )
    scope.add(
        LabelBatch(
            order_ids=[placed.id],
            failures={"#1001": f"courier refused {STREET}"},
            content=f"%PDF-1.4 {FIRST} {LAST} {STREET}".encode(),
        )
    )
    # A search on the storefront for their own name, while signed in.
    scope.add(
        StorefrontEvent(
            visitor_id="v-erasure",
            customer_id=placed.customer_id,
            kind="search_submitted",
            detail=f"{FIRST} {LAST}",
            occurred_at=utcnow(),
        )
    )
    scope.add(Suppression(channel="email", address=EMAIL.lower(), reason="unsubscribe"))
    scope.add(Suppression(channel="sms", address=PHONE, reason="unsubscribe"))
    scope.add(
        AuditLog(
            actor="support:alice",
            action="customer_viewed",
            subject=f"customer:{EMAIL}",
            details={"note": f"{FIRST} {LAST} called from {PHONE} about {STREET}"},
        )
    )
    scope.add(
        WebhookDelivery(
            platform="shopify",
            delivery_id="w-failed",
            topic="customers/update",
            body=json.dumps(dict(customer, note="x")).encode(),
            status="failed",
            last_error=f"IntegrityError: duplicate key (email)=({EMAIL})",
        )
    )
    scope.add(
        WebhookDelivery(
            platform="shopify",
            delivery_id="w-waiting",
            topic="customers/update",
            body=json.dumps(customer, ensure_ascii=False).encode(),
            status="received",
            received_at=utcnow() + timedelta(days=1),  # not yet due for the minute tick
        )
    )
    db.session.commit()

    conn = queues.redis_connection()
    # A job waiting in a queue with the person in its arguments, and one that fails on them
    # (the failed job keeps its arguments and the error).
    person_args = (EMAIL, PHONE, f"{FIRST} {LAST}", STREET)
    queues.queue("labels").enqueue("app.pipeline.ingest.process_delivery", *person_args)
    queues.queue("events").enqueue("app.pipeline.ingest.process_delivery", *person_args)
    queues.queue("labels").enqueue("app.pipeline.ingest.process_delivery", 424242, job_id="other")
    assert over_limit("erasure-test", EMAIL, limit=5, window=600) is None
    conn.set(
        f"storeflow:cache:customer:{row.id}",
        json.dumps({"name": LAST, "street": STREET, "phone": PHONE}),
    )
    conn.set("storeflow:cache:someone-else", "someone@else.example")
    send_rendered_email(EMAIL, f"{FIRST} {LAST}", STREET, 1)
    send_rendered_email("someone@else.example", "Jan Kowalski", "ul. Inna 1", 2)


def test_customer_redact_leaves_no_trace_in_the_database_redis_or_outbox(
    shopify_shop, deliver, outbox
):
    plant_everywhere(shopify_shop, deliver)
    for needle in NEEDLES:
        assert search_database(needle), needle
        assert search_redis(needle), needle
    for needle in (EMAIL, LAST, STREET):
        assert search_outbox(outbox, needle), needle
    planted = set().union(*(search_database(n) for n in NEEDLES))
    assert planted == {f"{t}.{c}" for t, cols in PLANTED.items() for c in cols}

    deliver("customers/redact", load("customers_redact", customer=_compliance_customer()))

    redaction = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.topic == "customers/redact")
    ).one()
    assert redaction.status == "processed"
    assert db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action == "customer_redacted")
    ).all() == ["customer_redacted"]
    for needle in NEEDLES:
        assert search_database(needle) == set(), needle
        assert search_redis(needle) == set(), needle
        assert search_outbox(outbox, needle) == set(), needle
    # Only the person went: the other shopper's order, mail, Redis key and job are still there.
    assert len(search_outbox(outbox, "Jan Kowalski")) == 1
    assert db.session.scalars(sa.select(Order.email).where(Order.platform_order_id == "1")).one()
    conn = queues.redis_connection()
    assert conn.get("storeflow:cache:someone-else") == b"someone@else.example"
    assert queues.queue("labels").get_job_ids() == ["other"]
    # The delivery that would have written them back is never processed.
    waiting = db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.delivery_id == "w-waiting")
    ).one()
    assert waiting.status == "ignored"
    # Orders stay, anonymised, for the shop's totals.
    kept = db.session.scalars(sa.select(Order).where(Order.platform_order_id == "299938")).one()
    assert (kept.email, kept.shipping_address, kept.total) == (None, {}, Decimal("404.95"))


def test_data_request_export_is_complete_json_and_erased_by_shop_redact(shopify_shop, deliver):
    plant_everywhere(shopify_shop, deliver)
    holding = {hit.split(".")[0] for n in NEEDLES for hit in search_database(n)}

    deliver(
        "customers/data_request", load("customers_data_request", customer=_compliance_customer())
    )

    (entry,) = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "customer_data_request")
    ).all()
    export = json.loads(json.dumps(entry.details))  # plain JSON through and through
    assert export["format"] == "storeflow.customer_export.v1"
    assert export["request_id"] == "9999"
    assert export["requested_order_ids"] == ["299938", "280263", "220458"]
    tables = {name for name, rows in export["tables"].items() if rows}
    assert holding <= tables, f"the export leaves out {holding - tables}"
    (customer,) = export["tables"]["customers"]
    assert (customer["email"], customer["last_name"], customer["address"]["address1"]) == (
        EMAIL.lower(),
        LAST,
        STREET,
    )
    assert [c["cart_key"] for c in export["tables"]["carts"]] == ["123123123"]
    assert [o["platform_order_id"] for o in export["tables"]["orders"]] == ["299938"]
    assert export["tables"]["orders"][0]["shipping_address"]["address1"] == STREET

    deliver("shop/redact", load("shop_redact"))

    for needle in NEEDLES:
        assert search_database(needle) == set(), needle
        assert search_redis(needle) == set(), needle


def test_woocommerce_erasure_request_from_the_plugin_goes_through_the_same_erasure(
    woo_shop, post_plugin_event, run_jobs
):
    cart = json.loads(load_woo("cart_updated"))
    cart.update(email=EMAIL, phone=PHONE, first_name=FIRST, last_name=LAST)
    assert post_plugin_event("cart.updated", cart).status_code == 200
    run_jobs("events")
    assert search_database(EMAIL) >= {"carts.email", "customers.email", "webhook_deliveries.body"}

    erase = {"email": EMAIL, "customer_id": 0, "order_ids": []}
    assert post_plugin_event("customer.erase", erase).status_code == 200
    run_jobs("events")
    db.session.expire_all()

    for needle in (EMAIL, PHONE, LAST):
        assert search_database(needle) == set(), needle
    assert db.session.scalars(sa.select(Customer.redacted_at)).one() is not None
    assert db.session.scalars(sa.select(Cart)).all() == []
    assert db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action == "customer_redacted")
    ).all() == ["customer_redacted"]


def load_woo(name: str) -> str:
    return (WOO_FIXTURES / f"{name}.json").read_text()
