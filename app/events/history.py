"""A shop's order history, written set-based: customers, orders and order lines per chunk.

History is not news: these orders were placed before the shop connected to us, so nothing
here reacts (no flow, label, attribution or email; ``apply`` is never called). The input is
what the connectors' own mappers make of an order (``OrderCreated``/``OrderPaid``/
``OrderCancelled`` with their ``OrderRefunded``/``OrderFulfilled``), so an imported order is
stored as the live path would store it, under the same rules:

- identity: a customer is found by the platform's customer id, else by email (lower-cased);
  a redacted customer is never written to again;
- consent: only a statement newer than the one held counts; a "yes" waits for the shopper's
  own confirmation in a double opt-in shop unless the platform confirmed it; a "no" after a
  "yes" is a withdrawal;
- orders never go back in time (``platform_updated_at``); paid, fulfilled and cancelled are
  one-way; a refund counts once, by its id;
- the customer's order totals (count, spend net of refunds, first and last order) are
  recomputed from the orders, as ``apply.refresh_customer_totals`` does.

Each chunk is COPYed into temporary tables and written with a few ``INSERT ... ON CONFLICT``
and ``UPDATE ... FROM`` statements (PostgreSQL). Re-importing the same orders changes nothing.
The caller commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.events.history_sql import (
    COLLECT_CUSTOMERS,
    CONTACT_COLUMNS,
    INSERT_CUSTOMERS,
    LINE_COLUMNS,
    LINK_PLATFORM_IDS,
    ORDER_COLUMNS,
    RESOLVE_CUSTOMERS,
    STAGING,
    UPDATE_CUSTOMERS,
    UPSERT_ORDERS_AND_LINES,
)
from app.models import db, double_opt_in_required


class HistoryImportError(RuntimeError):
    """The history cannot be written here (the database is not PostgreSQL)."""


@dataclass(frozen=True)
class ImportedChunk:
    orders: int
    lines: int
    customers: int


@dataclass
class _Order:
    """One order folded from its events: the newest state, and the one-way facts of all."""

    event: ev._OrderEvent
    cancelled: bool = False
    paid_at: datetime | None = None
    fulfilled_at: datetime | None = None
    refunds: dict[str, str] = field(default_factory=dict)


@dataclass
class _Contact:
    """One shopper of the chunk, the statements of their orders applied oldest first."""

    key: str
    platform_customer_id: str | None
    email: str | None
    at: datetime
    values: dict[str, Any] = field(default_factory=dict)
    email_consent: bool | None = None
    sms_consent: bool | None = None
    consent_at: datetime | None = None
    consent_source: str | None = None
    confirmed: bool = False


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min(a, b) if a is not None and b is not None else a or b


def fold_orders(events: Iterable[ev.Event]) -> list[_Order]:
    """Each order once: its newest body, with paid, fulfilled, cancelled and refunds from all
    its events (what ``apply`` would have made of them one by one)."""
    orders: dict[str, _Order] = {}
    later: list[ev.Event] = []
    for event in events:
        if isinstance(event, ev._OrderEvent):
            held = orders.get(event.order_id)
            if held is None:
                held = orders[event.order_id] = _Order(event)
            elif event.updated_at >= held.event.updated_at:
                held.event = event
            held.cancelled = held.cancelled or isinstance(event, ev.OrderCancelled)
            held.paid_at = _earliest(held.paid_at, event.paid_at)
        elif isinstance(event, ev.OrderRefunded | ev.OrderFulfilled):
            later.append(event)
    for event in later:
        order = orders.get(event.order_id)  # type: ignore[attr-defined]
        if order is None:
            continue  # a refund of an order not in this history: nothing to attach it to
        if isinstance(event, ev.OrderRefunded):
            order.refunds.setdefault(event.refund_id, str(event.amount))
        elif isinstance(event, ev.OrderFulfilled):
            order.fulfilled_at = _earliest(order.fulfilled_at, event.fulfilled_at)
    return list(orders.values())


def contact_key(contact: ev.Contact) -> str | None:
    """Whom the order names: the platform's customer, else an email; None for nobody."""
    if contact.platform_customer_id:
        return f"id:{contact.platform_customer_id}"
    email = _email(contact.email)
    return f"email:{email}" if email else None


def _email(value: str | None) -> str | None:
    return value.strip().lower() if value and value.strip() else None


def fold_contacts(orders: list[_Order]) -> dict[str, _Contact]:
    """One row per shopper: the newest non-empty value of each field, and the newest consent
    statement of each channel (the order ``upsert_customer`` would have applied them in)."""
    contacts: dict[str, _Contact] = {}
    for order in sorted(orders, key=lambda o: o.event.updated_at):
        who, at = order.event.customer, order.event.updated_at
        key = contact_key(who)
        if key is None:
            continue
        held = contacts.get(key)
        if held is None:
            held = contacts[key] = _Contact(key, who.platform_customer_id, _email(who.email), at)
        held.at = at
        held.email = _email(who.email) or held.email
        for attr in ("phone", "first_name", "last_name", "locale"):
            if getattr(who, attr):
                held.values[attr] = getattr(who, attr)
        when = who.consent_updated_at or at
        if who.email_consent is None and who.sms_consent is None:
            continue
        if held.consent_at is None or when >= held.consent_at:
            held.email_consent = _given(who.email_consent, held.email_consent)
            held.sms_consent = _given(who.sms_consent, held.sms_consent)
            held.consent_at, held.consent_source = when, who.consent_source
            held.confirmed = who.email_opt_in_confirmed
    return contacts


def _given(new: bool | None, held: bool | None) -> bool | None:
    return held if new is None else new


def _contact_rows(contacts: dict[str, _Contact]) -> list[tuple[Any, ...]]:
    return [
        (
            c.key,
            c.platform_customer_id,
            c.email,
            c.values.get("phone"),
            c.values.get("first_name"),
            c.values.get("last_name"),
            c.values.get("locale"),
            c.at,
            c.email_consent,
            c.sms_consent,
            c.consent_at,
            c.consent_source,
            c.confirmed,
        )
        for c in contacts.values()
    ]


def _order_rows(orders: list[_Order]) -> list[tuple[Any, ...]]:
    rows = []
    for order in orders:
        e = order.event
        rows.append(
            (
                e.order_id,
                contact_key(e.customer),
                e.order_number,
                _email(e.customer.email),
                e.cart_key,
                json.dumps([item.as_row() for item in e.items]) if e.items else None,
                e.total,
                e.currency,
                order.cancelled,
                e.payment_method,
                e.is_cod,
                json.dumps(e.shipping_address) if e.shipping_address else None,
                e.created_at,
                order.paid_at,
                order.fulfilled_at,
                json.dumps(order.refunds),
                e.updated_at,
            )
        )
    return rows


def _line_rows(orders: list[_Order]) -> list[tuple[Any, ...]]:
    return [
        (
            order.event.order_id,
            item.product_id,
            item.variant_id,
            int(item.quantity or 1),
            item.unit_price or Decimal("0"),
        )
        for order in orders
        for item in order.event.items
        if item.product_id
    ]


def _copy(driver: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def import_history(shop_id: int, events: Iterable[ev.Event]) -> ImportedChunk:
    """Write one chunk of a shop's order history (the caller commits). Safe to repeat."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        raise HistoryImportError("the history import needs PostgreSQL")
    orders = fold_orders(events)
    if not orders:
        return ImportedChunk(0, 0, 0)
    contacts = fold_contacts(orders)
    driver = connection.connection.driver_connection
    for statement in STAGING:
        connection.exec_driver_sql(statement)
    _copy(driver, f"history_contacts ({CONTACT_COLUMNS})", _contact_rows(contacts))
    _copy(driver, f"history_orders ({ORDER_COLUMNS})", _order_rows(orders))
    lines = _line_rows(orders)
    _copy(driver, f"history_lines ({LINE_COLUMNS})", lines)
    params = {"shop": shop_id, "double_opt_in": double_opt_in_required(shop_id)}
    connection.exec_driver_sql("ANALYZE history_contacts, history_orders, history_lines")
    for statement in (INSERT_CUSTOMERS, RESOLVE_CUSTOMERS, *COLLECT_CUSTOMERS):
        connection.execute(sa.text(statement), params)
    for statement in (LINK_PLATFORM_IDS, UPSERT_ORDERS_AND_LINES, UPDATE_CUSTOMERS):
        connection.execute(sa.text(statement), params)
    return ImportedChunk(len(orders), len(lines), len(contacts))
