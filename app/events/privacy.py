"""GDPR: erase a customer's or a whole shop's personal data, and export what we hold.

Orders stay, anonymised, so the shop's totals and the flows' revenue remain true; everything
that names a person (email, phone, names, addresses, message recipients) is erased.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.events import types as ev
from app.models import (
    AuditLog,
    BrowseEmission,
    Cart,
    Customer,
    FlowRun,
    Message,
    Order,
    Shop,
    ShopScope,
    StorefrontEvent,
    StorefrontVisitor,
    Suppression,
    WebhookDelivery,
    cancel_runs,
    db,
    utcnow,
)


def _find_customer(shop_id: int, contact: ev.Contact) -> Customer | None:
    scope = ShopScope(shop_id)
    if contact.platform_customer_id:
        found = scope.first(Customer, Customer.platform_customer_id == contact.platform_customer_id)
        if found is not None:
            return found
    if contact.email:
        return scope.first(Customer, Customer.email == contact.email.strip().lower())
    return None


def apply_customer_redact(event: ev.CustomerRedact) -> None:
    """Erase a customer's personal data; orders stay, anonymised, for the shop's totals."""

    scope = ShopScope(event.shop_id)
    customer = _find_customer(event.shop_id, event.customer)
    emails = {e for e in (event.customer.email and event.customer.email.lower(),) if e}
    if customer is not None:
        if customer.email:
            emails.add(customer.email)
        cancel_runs(event.shop_id, "customer_redacted", FlowRun.customer_id == customer.id)
        for attr in ("email", "phone", "locale", "birthday", "platform_customer_id"):
            setattr(customer, attr, None)
        customer.first_name = customer.last_name = ""
        customer.address = {}
        customer.redacted_at = utcnow()
    order_match: list[sa.ColumnElement[bool]] = [Order.email.in_(emails)] if emails else []
    if customer is not None:
        order_match.append(Order.customer_id == customer.id)
    if event.order_ids:
        order_match.append(Order.platform_order_id.in_(event.order_ids))
    if order_match:
        db.session.execute(
            scope.update(Order, sa.or_(*order_match)).values(email=None, shipping_address={})
        )
    if emails:
        db.session.execute(scope.delete(Cart, Cart.email.in_(emails)))
        db.session.execute(
            scope.update(Message, Message.recipient.in_(emails)).values(recipient="redacted")
        )
        db.session.execute(scope.delete(Suppression, Suppression.address.in_(emails)))
    if customer is not None:
        db.session.execute(scope.delete(Cart, Cart.customer_id == customer.id))
        _erase_browsing(scope, customer.id)
    scope.add(
        AuditLog(
            actor="system",
            action="customer_redacted",
            subject=f"customer:{customer.id if customer else '?'}",
        )
    )


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
    cancel_runs(event.shop_id, "shop_redacted")
    db.session.execute(
        scope.update(Order).values(email=None, shipping_address={}, customer_id=None)
    )
    db.session.execute(scope.update(Message).values(recipient="redacted"))
    for model in (StorefrontEvent, StorefrontVisitor, BrowseEmission, Cart, Suppression, Customer):
        db.session.execute(scope.delete(model))
    db.session.execute(scope.update(WebhookDelivery).values(body=b"", headers={}))
    shop = db.session.get(Shop, event.shop_id)
    if shop is not None:
        shop.status = "redacted"
        shop.credentials = {}
    scope.add(AuditLog(actor="system", action="shop_redacted", subject=f"shop:{event.shop_id}"))


def apply_customer_data_request(event: ev.CustomerDataRequest) -> None:
    """Record a JSON export of what we hold on the customer, for support to hand over."""
    scope = ShopScope(event.shop_id)
    customer = _find_customer(event.shop_id, event.customer)
    export: dict[str, Any] = {
        "request_id": event.request_id,
        "customer": None,
        "orders": [],
        "messages": [],
    }
    if customer is not None:
        export["customer"] = {
            c: _plain(getattr(customer, c))
            for c in (
                "email",
                "phone",
                "first_name",
                "last_name",
                "locale",
                "email_consent",
                "email_consent_at",
                "sms_consent",
                "sms_consent_at",
                "order_count",
                "total_spent",
                "first_order_at",
                "last_order_at",
            )
        }
        export["orders"] = [
            {
                "id": o.platform_order_id,
                "total": str(o.total),
                "currency": o.currency,
                "placed_at": o.placed_at.isoformat(),
            }
            for o in scope.all(Order, Order.customer_id == customer.id)
        ]
        export["messages"] = [
            {
                "subject": m.subject,
                "channel": m.channel,
                "status": m.status,
                "sent_at": _plain(m.sent_at),
            }
            for m in scope.all(Message, Message.customer_id == customer.id)
        ]
    scope.add(
        AuditLog(
            actor="system",
            action="customer_data_request",
            subject=f"request:{event.request_id}",
            details=export,
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
