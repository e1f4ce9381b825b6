"""GDPR: erase a customer's or a whole shop's personal data, and export what we hold.

Orders stay, anonymised, so the shop's totals and the flows' revenue remain true; everything
that names a person is erased wherever we keep a copy of it:

- customers (anonymised), carts and suppressions (deleted), RFM and engagement scores, stage
  moves, idle emissions and the staff alerts that name them (deleted), orders (email and
  shipping address), shipments (the courier request and the label, which print the address),
  messages (recipient, subject, meta, error), discounts (the
  recipient), flow runs (the email and phone in their context);
- the raw webhook deliveries that carry the person (body, headers, last error) and the audit
  rows that quote them (a data-request export included);
- Redis (queued and failed jobs' arguments, rate-limit keys, anything else holding one of the
  person's identifiers): events sit below the pipeline and know nothing of Redis, so the
  identifiers are left in the session (``ERASED_IDENTIFIERS``) and ``app.pipeline.erasure``
  scrubs Redis once the erasure is committed.

Shopify's ``customers/redact`` and ``customers/delete`` and the WordPress eraser's
``customer.erase`` all come here as events and go through ``erase_person``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.logs import fields as log_fields
from app.models import (
    AuditLog,
    BrowseEmission,
    Cart,
    CheckoutClaim,
    Customer,
    CustomerEngagement,
    CustomerScore,
    Discount,
    EngagementStageChange,
    FlowRun,
    IdleEmission,
    LabelBatch,
    LifecycleEmission,
    Message,
    Order,
    PreferredHour,
    Shipment,
    ShipmentEvent,
    Shop,
    ShopScope,
    StaffAlert,
    StorefrontEvent,
    StorefrontVisitor,
    Suppression,
    WebhookDelivery,
    cancel_runs,
    db,
    utcnow,
)
from app.models.sql import bytes_contain

log = logging.getLogger(__name__)

REDACTED = "redacted"
# session.info key: identifiers erased in this transaction, for the Redis scrub after commit.
ERASED_IDENTIFIERS = "storeflow_erased_identifiers"
# An identifier shorter than this (a one-letter name) would match unrelated text.
_MIN_NEEDLE = 4
# Rows about one customer computed by our jobs (scores, stages, alerts to staff that name
# them): deleted with the person, and all of a shop's with the shop.
PER_CUSTOMER: tuple[Any, ...] = (
    CustomerScore,
    IdleEmission,
    CustomerEngagement,
    EngagementStageChange,
    StaffAlert,
    LifecycleEmission,
    PreferredHour,
)
# The format of a data-request export (``AuditLog.details`` of a ``customer_data_request``).
EXPORT_FORMAT = "storeflow.customer_export.v1"


@dataclass
class Person:
    """One person's rows in one shop and the strings that identify them."""

    customer_ids: set[int] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    streets: set[str] = field(default_factory=set)
    order_ids: set[int] = field(default_factory=set)
    cart_ids: set[int] = field(default_factory=set)
    # As the platform spelled them (an email's case), for searching raw bodies.
    spellings: set[str] = field(default_factory=set)

    @property
    def contacts(self) -> set[str]:
        return self.emails | self.phones

    @property
    def identifiers(self) -> list[str]:
        """Every string that names this person, longest first."""
        found = self.emails | self.phones | self.names | self.streets | self.spellings
        return sorted((s for s in found if len(s) >= _MIN_NEEDLE), key=lambda s: (-len(s), s))

    @property
    def contact_needles(self) -> list[str]:
        """The strings that name this person and nobody else (emails, phones): what other
        rows are searched for. A name or a street may be shared (a household), so those only
        go from rows already known to be this person's."""
        found = self.emails | self.phones | self.spellings
        return sorted((s for s in found if len(s) >= _MIN_NEEDLE), key=lambda s: (-len(s), s))

    @property
    def is_empty(self) -> bool:
        return not (self.customer_ids or self.contacts or self.order_ids or self.cart_ids)


def _add_address(person: Person, address: dict[str, Any] | None) -> None:
    if not isinstance(address, dict):
        return
    first, last = (str(address.get(k) or "").strip() for k in ("first_name", "last_name"))
    if first and last:
        person.names.add(f"{first} {last}")
    if str(address.get("name") or "").strip():
        person.names.add(str(address["name"]).strip())
    for key in ("address1", "address2", "address_1", "address_2"):
        if str(address.get(key) or "").strip():
            person.streets.add(str(address[key]).strip())
    if str(address.get("phone") or "").strip():
        person.phones.add(str(address["phone"]).strip())
    if str(address.get("email") or "").strip():
        person.emails.add(str(address["email"]).strip().lower())


def _find_customers(scope: ShopScope, contact: ev.Contact) -> list[Customer]:
    found: dict[int, Customer] = {}
    if contact.platform_customer_id:
        for c in scope.all(Customer, Customer.platform_customer_id == contact.platform_customer_id):
            found[c.id] = c
    if contact.email:
        for c in scope.all(Customer, Customer.email == contact.email.strip().lower()):
            found[c.id] = c
    return list(found.values())


def find_person(shop_id: int, contact: ev.Contact, order_ids: tuple[str, ...] = ()) -> Person:
    """The person a contact (and the platform's order ids) names, with every row of theirs."""
    scope = ShopScope(shop_id)
    person = Person()
    if contact.email:
        person.emails.add(contact.email.strip().lower())
        person.spellings.add(contact.email.strip())
    if contact.phone:
        person.phones.add(contact.phone.strip())
    for customer in _find_customers(scope, contact):
        person.customer_ids.add(customer.id)
        if customer.email:
            person.emails.add(customer.email)
        if customer.phone:
            person.phones.add(customer.phone)
        if customer.first_name and customer.last_name:
            person.names.add(f"{customer.first_name} {customer.last_name}")
        _add_address(person, customer.address)
    order_match: list[sa.ColumnElement[bool]] = [Order.platform_order_id.in_(order_ids)]
    if person.customer_ids:
        order_match.append(Order.customer_id.in_(sorted(person.customer_ids)))
    if person.emails:
        order_match.append(Order.email.in_(sorted(person.emails)))
    for order in scope.all(Order, sa.or_(*order_match)):
        person.order_ids.add(order.id)
        if order.email:
            person.emails.add(order.email)
        _add_address(person, order.shipping_address)
    cart_match: list[sa.ColumnElement[bool]] = []
    if person.customer_ids:
        cart_match.append(Cart.customer_id.in_(sorted(person.customer_ids)))
    if person.emails:
        cart_match.append(Cart.email.in_(sorted(person.emails)))
    if person.phones:
        cart_match.append(Cart.phone.in_(sorted(person.phones)))
    for cart in scope.all(Cart, sa.or_(*cart_match)) if cart_match else []:
        person.cart_ids.add(cart.id)
        if cart.email:
            person.emails.add(cart.email)
        if cart.phone:
            person.phones.add(cart.phone)
    return person


def _runs_of(person: Person) -> sa.ColumnElement[bool]:
    match: list[sa.ColumnElement[bool]] = [sa.false()]
    if person.customer_ids:
        match.append(FlowRun.customer_id.in_(sorted(person.customer_ids)))
    if person.emails:
        match.append(FlowRun.context["email"].as_string().in_(sorted(person.emails)))
    if person.phones:
        match.append(FlowRun.context["phone"].as_string().in_(sorted(person.phones)))
    return sa.or_(*match)


def _messages_of(person: Person) -> sa.ColumnElement[bool]:
    match: list[sa.ColumnElement[bool]] = [sa.false()]
    if person.customer_ids:
        match.append(Message.customer_id.in_(sorted(person.customer_ids)))
    if person.contacts:
        match.append(Message.recipient.in_(sorted(person.contacts)))
    return sa.or_(*match)


def _variants(needle: str) -> set[str]:
    """The spellings a JSON body may use for a string: as is, ASCII-escaped, ``/``-escaped."""
    escaped = json.dumps(needle)[1:-1]
    return {needle, escaped, needle.replace("/", "\\/"), escaped.replace("/", "\\/")}


def scrub(value: Any, needles: list[str]) -> Any:
    """``value`` with every string that contains one of ``needles`` replaced by "redacted"."""
    if isinstance(value, str):
        folded = value.casefold()
        return REDACTED if any(n.casefold() in folded for n in needles) else value
    if isinstance(value, dict):
        return {k: scrub(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, needles) for v in value]
    return value


def _text_holds(column: Any, needles: list[str]) -> sa.ColumnElement[bool]:
    text = sa.cast(column, sa.Text)
    return sa.or_(
        sa.false(), *(text.contains(v, autoescape=True) for n in needles for v in _variants(n))
    )


def _erase_deliveries(scope: ShopScope, needles: list[str]) -> int:
    """Raw deliveries that carry the person: emptied, and never processed again."""
    if not needles:
        return 0
    found = sa.or_(
        *(
            bytes_contain(WebhookDelivery.body, sa.literal(v.encode(), sa.LargeBinary))
            for n in needles
            for v in _variants(n)
        ),
        _text_holds(WebhookDelivery.headers, needles),
        _text_holds(WebhookDelivery.last_error, needles),
    )
    ids = list(
        db.session.scalars(
            scope.select(WebhookDelivery, found).with_only_columns(WebhookDelivery.id)
        )
    )
    if not ids:
        return 0
    db.session.execute(
        scope.update(WebhookDelivery, WebhookDelivery.id.in_(ids))
        .values(body=b"{}", headers={}, last_error=f"{REDACTED}: personal data erased")
        .execution_options(synchronize_session=False)
    )
    # Still to be processed: it would write the person back. It is done with instead.
    db.session.execute(
        scope.update(
            WebhookDelivery,
            WebhookDelivery.id.in_(ids),
            WebhookDelivery.status.in_(("received", "failed")),
        )
        .values(status="ignored")
        .execution_options(synchronize_session=False)
    )
    return len(ids)


def _erase_audit(scope: ShopScope, search: list[str], needles: list[str]) -> None:
    if not search:
        return
    for row in scope.all(
        AuditLog,
        sa.or_(_text_holds(AuditLog.details, search), _text_holds(AuditLog.subject, search)),
    ):
        row.details = {REDACTED: True}
        row.subject = scrub(row.subject, needles)


def _remember_for_redis(identifiers: list[str]) -> None:
    db.session.info.setdefault(ERASED_IDENTIFIERS, []).extend(identifiers)


def erased_identifiers(session: Any) -> list[str]:
    """Take the identifiers this session's committed erasures left for the Redis scrub."""
    return list(dict.fromkeys(session.info.pop(ERASED_IDENTIFIERS, [])))


def erase_person(shop_id: int, person: Person, reason: str) -> dict[str, int]:
    """Erase every copy of one person's data in one shop; counts of what was touched."""
    scope = ShopScope(shop_id)
    needles, search = person.identifiers, person.contact_needles
    counts = {"runs_cancelled": cancel_runs(shop_id, reason, _runs_of(person))}
    for run in scope.all(FlowRun, sa.or_(_runs_of(person), _text_holds(FlowRun.context, search))):
        run.context = {
            k: (None if k in ("email", "phone") else scrub(v, needles))
            for k, v in run.context.items()
        }
    messages = scope.all(Message, sa.or_(_messages_of(person), _text_holds(Message.meta, search)))
    for message in messages:
        message.recipient, message.subject, message.error = REDACTED, "", None
        message.meta = scrub(message.meta, needles)
    counts["messages"] = len(messages)
    discount_match: list[sa.ColumnElement[bool]] = [sa.false()]
    if messages:
        discount_match.append(Discount.message_id.in_([m.id for m in messages]))
    if person.contacts:
        discount_match.append(Discount.recipient.in_(sorted(person.contacts)))
    db.session.execute(
        scope.update(Discount, sa.or_(*discount_match))
        .values(recipient=None)
        .execution_options(synchronize_session=False)
    )
    if person.order_ids:
        db.session.execute(
            scope.update(Order, Order.id.in_(sorted(person.order_ids)))
            .values(email=None, shipping_address={})
            .execution_options(synchronize_session=False)
        )
    shipment_match: list[sa.ColumnElement[bool]] = [_text_holds(Shipment.request, search)]
    if person.order_ids:
        shipment_match.append(Shipment.order_id.in_(sorted(person.order_ids)))
    # The courier's tracking history can say where and to whom a parcel went: the scans stay
    # (the order's delivery is still the merchant's to see) as our bare states.
    erased_shipments = scope.select(Shipment).where(sa.or_(*shipment_match))
    db.session.execute(
        scope.update(
            ShipmentEvent,
            ShipmentEvent.shipment_id.in_(erased_shipments.with_only_columns(Shipment.id)),
        )
        .values(location="", courier_status=ShipmentEvent.status)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        scope.update(Shipment, sa.or_(*shipment_match))
        .values(request={}, label=None, error=None)
        .execution_options(synchronize_session=False)
    )
    # A print job of their orders holds their labels (the merged PDF) and may quote their
    # address in a courier's refusal: both go, the job's order ids stay.
    if person.order_ids:
        for batch in scope.all(LabelBatch):
            if person.order_ids.intersection(int(i) for i in batch.order_ids or ()):
                batch.content, batch.failures = None, {}
    if person.cart_ids:
        db.session.execute(scope.delete(Cart, Cart.id.in_(sorted(person.cart_ids))))
    for customer_id in sorted(person.customer_ids):
        _erase_browsing(scope, customer_id)
    if person.contacts:
        db.session.execute(
            scope.delete(Suppression, Suppression.address.in_(sorted(person.contacts)))
        )
    if person.customer_ids:
        for model in PER_CUSTOMER:
            db.session.execute(
                scope.delete(model, model.customer_id.in_(sorted(person.customer_ids)))
            )
        for customer in scope.all(Customer, Customer.id.in_(sorted(person.customer_ids))):
            _anonymise(customer)
    counts["deliveries"] = _erase_deliveries(scope, search)
    _erase_audit(scope, search, needles)
    _remember_for_redis(needles)
    log.info(
        "personal data erased",
        extra=log_fields(shop=shop_id, reason=reason, customers=len(person.customer_ids), **counts),
    )
    return counts


def _anonymise(customer: Customer) -> None:
    for attr in ("email", "phone", "locale", "birthday", "platform_customer_id"):
        setattr(customer, attr, None)
    customer.first_name = customer.last_name = ""
    customer.address = {}
    customer.email_consent_source = customer.sms_consent_source = None
    customer.email_consent_ip = None
    customer.redacted_at = utcnow()


def _erase_and_audit(event: ev.CustomerRedact | ev.CustomerDeleted, reason: str) -> None:
    order_ids = event.order_ids if isinstance(event, ev.CustomerRedact) else ()
    person = find_person(event.shop_id, event.customer, order_ids)
    counts = erase_person(event.shop_id, person, reason) if not person.is_empty else {}
    subject = ",".join(f"customer:{i}" for i in sorted(person.customer_ids)) or "customer:?"
    ShopScope(event.shop_id).add(
        AuditLog(actor="system", action=reason, subject=subject[:255], details=counts)
    )


def apply_customer_redact(event: ev.CustomerRedact) -> None:
    """Erase a customer's personal data; orders stay, anonymised, for the shop's totals."""
    _erase_and_audit(event, "customer_redacted")


def apply_customer_deleted(event: ev.CustomerDeleted) -> None:
    """The shop deleted the customer: erased like a redaction, their runs stopped."""
    _erase_and_audit(event, "customer_deleted")


def _erase_browsing(scope: ShopScope, customer_id: int) -> None:
    """What they looked at, including as an anonymous visitor whose id was later linked."""
    visitors = scope.select(StorefrontVisitor, StorefrontVisitor.customer_id == customer_id)
    visitor_ids = visitors.with_only_columns(StorefrontVisitor.visitor_id)
    db.session.execute(
        scope.delete(
            StorefrontEvent,
            sa.or_(
                StorefrontEvent.customer_id == customer_id,
                StorefrontEvent.visitor_id.in_(visitor_ids.scalar_subquery()),
            ),
        )
    )
    for model in (StorefrontVisitor, BrowseEmission):
        db.session.execute(scope.delete(model, model.customer_id == customer_id))


def apply_shop_redact(event: ev.ShopRedact) -> None:
    """Erase all personal data of a shop that left 48 h ago; anonymous totals remain."""
    scope = ShopScope(event.shop_id)
    identifiers: set[str] = set()
    held: tuple[tuple[Any, Any], ...] = (
        (Customer, Customer.email),
        (Customer, Customer.phone),
        (Cart, Cart.email),
        (Cart, Cart.phone),
        (Order, Order.email),
    )
    for model, column in held:
        identifiers.update(
            v for v in db.session.scalars(scope.select(model).with_only_columns(column)) if v
        )
    cancel_runs(event.shop_id, "shop_redacted")
    db.session.execute(scope.delete(ShipmentEvent))  # tracking history can name the recipient
    erased: dict[Any, dict[str, Any]] = {
        FlowRun: {"context": {}},
        Order: {"email": None, "shipping_address": {}, "customer_id": None},
        Shipment: {"request": {}, "label": None, "error": None},
        LabelBatch: {"failures": {}, "content": None},
        Message: {"recipient": REDACTED, "subject": "", "meta": {}, "error": None},
        Discount: {"recipient": None},
        WebhookDelivery: {"body": b"", "headers": {}, "last_error": None},
        # What was done stays; whom it named (a subject, an export, a note) goes.
        AuditLog: {"details": {}, "subject": ""},
    }
    for model, values in erased.items():
        db.session.execute(
            scope.update(model).values(**values).execution_options(synchronize_session=False)
        )
    for model in (
        StorefrontEvent,
        StorefrontVisitor,
        CheckoutClaim,
        BrowseEmission,
        Cart,
        Suppression,
        *PER_CUSTOMER,
        Customer,
    ):
        db.session.execute(scope.delete(model))
    shop = db.session.get(Shop, event.shop_id)
    if shop is not None:
        shop.status = "redacted"
        shop.credentials = {}
    _remember_for_redis(sorted(i for i in identifiers if len(i) >= _MIN_NEEDLE))
    scope.add(AuditLog(actor="system", action="shop_redacted", subject=f"shop:{event.shop_id}"))


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row as plain JSON values (binary columns: whether one is held)."""
    out: dict[str, Any] = {}
    for column in sa.inspect(type(obj)).columns:
        if column.key in skip or column.key == "shop_id":
            continue
        value = getattr(obj, column.key)
        out[column.key] = (value is not None) if isinstance(value, bytes) else _plain(value)
    return out


def customer_export(shop_id: int, person: Person, requested: tuple[str, ...]) -> dict[str, Any]:
    """What we hold on a person, by table, as plain JSON (what a data request hands over)."""
    scope = ShopScope(shop_id)
    order_ids = list(person.order_ids)
    messages = scope.all(Message, _messages_of(person))
    discount_match: list[sa.ColumnElement[bool]] = [sa.false()]
    if messages:
        discount_match.append(Discount.message_id.in_([m.id for m in messages]))
    if person.contacts:
        discount_match.append(Discount.recipient.in_(sorted(person.contacts)))
    needles = person.contact_needles
    deliveries = (
        scope.all(
            WebhookDelivery,
            sa.or_(
                *(
                    bytes_contain(WebhookDelivery.body, sa.literal(v.encode(), sa.LargeBinary))
                    for n in needles
                    for v in _variants(n)
                )
            ),
        )
        if needles
        else []
    )
    customer_ids = list(person.customer_ids)
    tables: dict[str, list[dict[str, Any]]] = {
        "customers": [_row(c) for c in scope.all(Customer, Customer.id.in_(customer_ids))],
        "orders": [_row(o) for o in scope.all(Order, Order.id.in_(order_ids))],
        "carts": [_row(c) for c in scope.all(Cart, Cart.id.in_(list(person.cart_ids)))],
        "shipments": [_row(s) for s in scope.all(Shipment, Shipment.order_id.in_(order_ids))],
        "shipment_events": [
            _row(e)
            for e in scope.all(
                ShipmentEvent,
                ShipmentEvent.shipment_id.in_(
                    scope.select(Shipment)
                    .where(Shipment.order_id.in_(order_ids))
                    .with_only_columns(Shipment.id)
                ),
            )
        ],
        "label_batches": [
            _row(b)
            for b in scope.all(LabelBatch)
            if set(order_ids).intersection(int(i) for i in b.order_ids or ())
        ],
        "messages": [_row(m, skip=("idempotency_key",)) for m in messages],
        "discounts": [_row(d) for d in scope.all(Discount, sa.or_(*discount_match))],
        "flow_runs": [_row(r) for r in scope.all(FlowRun, _runs_of(person))],
        "suppressions": [
            _row(s) for s in scope.all(Suppression, Suppression.address.in_(list(person.contacts)))
        ],
        "storefront_events": [
            _row(e)
            for e in scope.all(StorefrontEvent, StorefrontEvent.customer_id.in_(customer_ids))
        ],
        "storefront_visitors": [
            _row(v)
            for v in scope.all(StorefrontVisitor, StorefrontVisitor.customer_id.in_(customer_ids))
        ],
        "customer_scores": [
            _row(s) for s in scope.all(CustomerScore, CustomerScore.customer_id.in_(customer_ids))
        ],
        "idle_emissions": [
            _row(s) for s in scope.all(IdleEmission, IdleEmission.customer_id.in_(customer_ids))
        ],
        **{
            model.__tablename__: [
                _row(r) for r in scope.all(model, model.customer_id.in_(customer_ids))
            ]
            for model in (
                CustomerEngagement,
                EngagementStageChange,
                StaffAlert,
                LifecycleEmission,
                PreferredHour,
            )
        },
        "audit_log": [
            _row(a)
            for a in scope.all(
                AuditLog,
                sa.or_(
                    _text_holds(AuditLog.details, needles), _text_holds(AuditLog.subject, needles)
                ),
            )
        ]
        if needles
        else [],
        "webhook_deliveries": [
            {**_row(d, skip=("body",)), "body": _json_or_text(d.body)} for d in deliveries
        ],
    }
    return {
        "format": EXPORT_FORMAT,
        "requested_order_ids": list(requested),
        "tables": tables,
    }


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", "replace")


def apply_customer_data_request(event: ev.CustomerDataRequest) -> None:
    """Record a JSON export of what we hold on the customer, for support to hand over.

    The export lives in the audit row's ``details`` (machine-readable JSON, by table); a later
    redaction of the person or the shop erases it with everything else.
    """
    person = find_person(event.shop_id, event.customer, event.order_ids)
    export = customer_export(event.shop_id, person, event.order_ids)
    customers = export["tables"]["customers"]
    export["request_id"] = event.request_id
    # The first customer row and the orders, where support and older readers look first.
    export["customer"] = customers[0] if customers else None
    export["orders"] = [{**o, "id": o["platform_order_id"]} for o in export["tables"]["orders"]]
    ShopScope(event.shop_id).add(
        AuditLog(
            actor="system",
            action="customer_data_request",
            subject=f"request:{event.request_id}",
            details=export,
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
