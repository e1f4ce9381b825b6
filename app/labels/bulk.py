"""Bulk print: many orders → one PDF (or one ZPL file); failures listed per order.

Orders without a shipment get one first. Nothing is silently skipped: each order either has a
label in the output or a line in ``failures`` saying why not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.connectors.couriers.base import CourierError
from app.flows.courier_labels import ship_order
from app.labels import sheets
from app.labels.shipments import ensure_label
from app.models import Order, Shipment, Shop, ShopScope, db


@dataclass
class BulkResult:
    pdf: bytes | None = None
    zpl: bytes | None = None
    printed: list[str] = field(default_factory=list)  # order references, in print order
    failures: dict[str, str] = field(default_factory=dict)  # order reference -> why


def printable_orders(shop_id: int) -> list[int]:
    """Every paid, not cancelled order of the shop, oldest first."""
    stmt = (
        ShopScope(shop_id)
        .select(Order, Order.paid.is_(True), Order.cancelled.is_(False))
        .order_by(Order.placed_at, Order.id)
    )
    return list(db.session.scalars(stmt.with_only_columns(Order.id)))


def _shipment_for(shop: Shop, order: Order) -> Shipment:
    existing = ShopScope(shop.id).first(
        Shipment, Shipment.order_id == order.id, Shipment.status == "created"
    )
    shipment = existing or ship_order(shop.id, order.id)
    if shipment.status != "created":
        raise CourierError(f"{shipment.status}: {shipment.error or 'no label'}")
    return shipment


def bulk_print(
    shop_id: int, order_ids: list[int], layout: str = "a6", offset: int = 0
) -> BulkResult:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop {shop_id}")
    result = BulkResult()
    pdfs: list[bytes] = []
    zpls: list[bytes] = []
    orders = ShopScope(shop_id).all(Order, Order.id.in_(order_ids))
    by_id = {order.id: order for order in orders}
    for order_id in order_ids:
        order = by_id.get(order_id)
        reference = (order.order_number or order.platform_order_id) if order else f"id {order_id}"
        try:
            label, label_format = _label(shop, order)
        except (CourierError, LookupError) as exc:
            result.failures[reference] = str(exc)
            continue
        (zpls if label_format == "ZPL" else pdfs).append(label)
        result.printed.append(reference)
    result.pdf = sheets.layout_pdf(pdfs, layout, offset) if pdfs else None
    result.zpl = sheets.concat_zpl(zpls) if zpls else None
    return result


def _label(shop: Shop, order: Order | None) -> tuple[bytes, str]:
    if order is None:
        raise LookupError("no such order in this shop")
    if order.cancelled:
        raise LookupError("order is cancelled")
    shipment = _shipment_for(shop, order)
    label = ensure_label(shop, shipment)
    if label is None:
        raise CourierError("the courier has not issued the label yet")
    return label, shipment.label_format
