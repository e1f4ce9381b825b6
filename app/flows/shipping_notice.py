"""The shipping notice, declared as data: a one-step transactional flow.

The shipping listener enrolls a shipment (subject: the shipment) once it has its tracking
number, and the engine sends the one email with the tracking link at once, the way it sends
any step: one message row per (run, step), pending -> sending -> sent, reconciled after a
crash, with the Message-ID of every other message we send.

Transactional: no marketing consent, no holdout, no frequency cap or quiet hours, and a
later order does not stop it; an address that bounced, complained or unsubscribed (a
suppression) still gets nothing. Merchants switch it with the label settings' ``shipping_email``,
the same switch that tells Shopify to send its own notification when ours is off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.connectors.couriers.names import carrier_name
from app.emails.context import shop_branding, shop_url
from app.flows.engine.definition import Enrollment, Flow, Setting, Settings, Step, Verdict
from app.models import Customer, FlowRun, Message, Order, Shipment, Shop, ShopScope
from app.shipping import settings as label_settings

KEY = "shipping_notice"


def wanted(shop_id: int) -> bool:
    return label_settings.load(shop_id).shipping_email


def enrollment(shipment: Shipment, now: datetime) -> Enrollment | None:
    """The shipment as a subject: once ever, and only with a tracking number and an address."""
    scope = ShopScope(shipment.shop_id)
    order = scope.get(Order, shipment.order_id)
    if order is None or not order.email or not shipment.tracking_number:
        return None
    subject = f"shipment:{shipment.id}"
    if scope.first(FlowRun, FlowRun.flow_key == KEY, FlowRun.subject_key == subject):
        return None  # one notice per shipment, whatever became of the first run
    context = {"shipment_id": shipment.id, "order_id": order.id, "email": order.email}
    return Enrollment(subject, order.customer_id, now, context)


def _shipment(shop_id: int, run: FlowRun) -> tuple[Shipment | None, Order | None]:
    scope = ShopScope(shop_id)
    shipment = scope.get(Shipment, int(run.context["shipment_id"]))
    order = scope.get(Order, shipment.order_id) if shipment is not None else None
    return shipment, order


def shipment_still_on_its_way(
    shop: Shop, run: FlowRun, settings: Settings, now: datetime
) -> Verdict | None:
    shipment, order = _shipment(shop.id, run)
    if shipment is None or order is None or not shipment.tracking_number:
        return Verdict(stop="shipment_gone")
    if shipment.status == "cancelled":
        return Verdict(stop="shipment_cancelled")
    return None


def compose(
    shop: Shop, run: FlowRun, step: Step, message: Message, settings: Settings, now: datetime
) -> dict[str, Any]:
    shipment, order = _shipment(shop.id, run)
    assert shipment is not None and order is not None  # shipment_still_on_its_way stops it
    customer = ShopScope(shop.id).get(Customer, run.customer_id) if run.customer_id else None
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


FLOW = Flow(
    key=KEY,
    rank=0,  # transactional: the frequency cap never counts it nor holds it back
    marketing=False,
    triggers={},  # enrolled by the shipping listener, not by a shop event
    stop_rules={},
    steps=(Step("email_delay_minutes", "email", "shipping_notice"),),
    settings=(Setting("email_delay_minutes", 0, 0, 0, "the notice goes as soon as it can"),),
    checks=(shipment_still_on_its_way,),
    compose=compose,
    switch=wanted,
)

__all__ = ["FLOW", "KEY", "compose", "enrollment", "wanted"]
