"""The shipping notice: a transactional email with the tracking link, sent once per shipment.

Transactional, so no marketing consent is needed; an address that bounced or complained
(a suppression) still gets nothing. The message row is created before sending and marked sent
only after the provider accepts it; its idempotency key gives a stable Message-ID, so a retry
after a crash between "accepted" and our commit sends the very same message.
"""

from __future__ import annotations

import logging
from typing import Any

from rq import Retry

from app.connectors.couriers.names import carrier_name
from app.emails import TemplateContextError, resolve_locale
from app.emails.compose import compose_email
from app.emails.context import shop_branding, shop_url
from app.emails.senders import PermanentFailure, TemporaryFailure, get_sender
from app.emails.tracking import is_suppressed
from app.logs import fields as log_fields
from app.models import Customer, FlowRun, Message, Order, Shipment, Shop, ShopScope, db, utcnow
from app.pipeline import queues
from app.shipping import settings as label_settings

log = logging.getLogger(__name__)
FLOW_KEY = label_settings.FLOW_KEY


def _context(
    shop: Shop, order: Order, shipment: Shipment, customer: Customer | None
) -> dict[str, Any]:
    return {
        "shop": shop_branding(shop),
        "shop_url": shop_url(shop),
        "customer": {"first_name": customer.first_name if customer else ""},
        "tracking": {
            "number": shipment.tracking_number,
            "url": shipment.tracking_url,
            "company": carrier_name(shop, shipment),
        },
        "currency": order.currency,
    }


def _message(shop_id: int, order: Order, shipment: Shipment, key: str) -> Message:
    """The notice's message row (with the run it belongs to), created once."""
    scope = ShopScope(shop_id)
    message = scope.first(Message, Message.idempotency_key == key)
    if message is not None:
        return message
    now = utcnow()
    run = scope.add(
        FlowRun(
            flow_key=FLOW_KEY,
            subject_key=f"shipment:{shipment.id}",
            customer_id=order.customer_id,
            state="completed",
            step=1,
            started_at=now,
            ended_at=now,
            end_reason="shipping_notice",
            context={"shipment_id": shipment.id, "order_id": order.id},
        )
    )
    db.session.flush()
    message = scope.add(
        Message(
            run_id=run.id,
            step=0,
            channel="email",
            kind="transactional",
            customer_id=order.customer_id,
            recipient=order.email or "",
            idempotency_key=key,
            meta={"shipment_id": shipment.id, "template": "shipping_notice"},
        )
    )
    db.session.commit()
    return message


@queues.job("labels", timeout=60, retry=Retry(max=5, interval=[60, 300, 900, 3600, 7200]))
def send_shipping_notice(shop_id: int, shipment_id: int) -> str:
    """Email the customer the tracking link. Safe to run twice: the message row says if sent."""
    scope = ShopScope(shop_id)
    shipment, shop = scope.get(Shipment, shipment_id), db.session.get(Shop, shop_id)
    order = scope.get(Order, shipment.order_id) if shipment else None
    if shipment is None or shop is None or order is None or not shipment.tracking_number:
        return "skipped"
    if not order.email or is_suppressed(shop_id, order.email):
        return "no recipient"
    key = f"shipping-notice-{shipment_id}"
    message = scope.get(Message, _message(shop_id, order, shipment, key).id, for_update=True)
    assert message is not None
    if message.status == "sent":
        db.session.commit()
        return "already sent"
    customer = scope.get(Customer, order.customer_id) if order.customer_id else None
    locale = resolve_locale((customer.locale if customer else None) or shop.locale)
    try:
        email, content = compose_email(
            shop,
            "shipping_notice",
            _context(shop, order, shipment, customer),
            locale,
            to=order.email,
            idempotency_key=key,
            customer_id=order.customer_id,
        )
        provider_id = get_sender().send(email)
    except TemporaryFailure as exc:
        _record(message, "deferred", str(exc))
        raise
    except (PermanentFailure, TemplateContextError) as exc:
        return _record(message, "failed", str(exc))
    message.subject, message.provider_id = content.subject, provider_id
    message.sent_at = utcnow()
    return _record(message, "sent", None)


def _record(message: Message, status: str, error: str | None) -> str:
    message.status, message.error = status, error
    message.attempts += 1
    db.session.commit()
    if error:
        log.warning("shipping notice not sent", extra=log_fields(message=message.id, status=status))
    return status
