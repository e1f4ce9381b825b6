"""Bulk print: many orders → one PDF (or one ZPL file); failures listed per order.

Orders without a shipment get one first (``create_missing``; the label page's batches create
them in their own jobs and then assemble with ``create_missing=False``). Nothing is silently
skipped: each order either has a label in the output or a line in ``failures`` saying why not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.connectors.couriers.base import CourierError
from app.connectors.couriers.own.content import LabelContent, content_from_request
from app.connectors.couriers.own.pdf import render_many
from app.models import Order, Shipment, Shop, ShopScope, db
from app.shipping import settings as label_settings
from app.shipping import sheets
from app.shipping.listener import ship_order
from app.shipping.settings import LabelSettings
from app.shipping.shipments import ensure_label


@dataclass
class BulkResult:
    pdf: bytes | None = None
    zpl: bytes | None = None
    printed: list[str] = field(default_factory=list)  # order references, in print order
    failures: dict[str, str] = field(default_factory=dict)  # order reference -> why


def printable_orders(shop_id: int) -> list[int]:
    """Every paid, not cancelled order of the shop, oldest first; cash-on-delivery orders as
    soon as they are placed (they are paid on delivery)."""
    stmt = (
        ShopScope(shop_id)
        .select(
            Order,
            sa.or_(Order.paid_at.is_not(None), Order.is_cod.is_(True)),
            Order.cancelled.is_(False),
        )
        .order_by(Order.placed_at, Order.id)
    )
    return list(db.session.scalars(stmt.with_only_columns(Order.id)))


@dataclass(frozen=True)
class _Wanted:
    """An order asked for: what bulk print needs of it, without holding the ORM row."""

    id: int
    reference: str
    cancelled: bool


def _existing_shipments(shop_id: int, order_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Each order's shipment, one query for the batch: (id, status), a created one first."""
    rows = db.session.execute(
        ShopScope(shop_id)
        .select(Shipment, Shipment.order_id.in_(order_ids))
        .with_only_columns(Shipment.order_id, Shipment.id, Shipment.status)
        .order_by(Shipment.id)
    )
    found: dict[int, tuple[int, str]] = {}
    for order_id, shipment_id, status in rows:
        if order_id not in found or (status == "created" and found[order_id][1] != "created"):
            found[order_id] = (shipment_id, status)
    return found


def _shipment_id_for(
    shop_id: int,
    order: _Wanted,
    existing: tuple[int, str] | None,
    create_missing: bool,
    settings: LabelSettings,
) -> int:
    if existing is not None and (existing[1] == "created" or not create_missing):
        return existing[0]
    if not create_missing:
        raise CourierError("no shipment yet")
    shipment = ship_order(shop_id, order.id, settings)
    # Its id from the identity map: the commit expired the row, and reading any attribute
    # would load it again (the batch query after the loop reads them all at once).
    return int(sa.inspect(shipment).identity[0])


@dataclass
class _Printable:
    """One order's label: stored bytes, or (own labels) what to draw into the bulk document."""

    label_format: str
    label: bytes | None = None
    own: LabelContent | None = None


def bulk_print(
    shop_id: int,
    order_ids: list[int],
    layout: str = "a6",
    offset: int = 0,
    *,
    create_missing: bool = True,
) -> BulkResult:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"no shop {shop_id}")
    result = BulkResult()
    printables: list[_Printable] = []
    scope = ShopScope(shop_id)
    # Only plain values are held across the loop, not the orders: each shipment commits, and
    # a commit expires every object the session holds (500 orders: 250,000 expiries per batch).
    columns = (Order.id, Order.order_number, Order.platform_order_id, Order.cancelled)
    found = {
        row.id: _Wanted(row.id, row.order_number or row.platform_order_id, row.cancelled)
        for row in db.session.execute(
            scope.select(Order, Order.id.in_(order_ids)).with_only_columns(*columns)
        )
    }
    existing = _existing_shipments(shop_id, list(found))
    settings = label_settings.load(shop_id)  # once for the batch, not once per order
    chosen: list[tuple[str, int]] = []  # (order reference, shipment id), in the order asked
    for order_id in order_ids:
        wanted = found.get(order_id)
        reference = wanted.reference if wanted else f"id {order_id}"
        try:
            if wanted is None:
                raise LookupError("no such order in this shop")
            if wanted.cancelled:
                raise LookupError("order is cancelled")
            shipment_id = _shipment_id_for(
                shop_id, wanted, existing.get(order_id), create_missing, settings
            )
        except (CourierError, LookupError) as exc:
            result.failures[reference] = str(exc)
            continue
        chosen.append((reference, shipment_id))
    # The shipments as they now are, in one query (each creation's commit expired them all).
    shipments = {
        shipment.id: shipment
        for shipment in db.session.scalars(
            scope.select(Shipment, Shipment.id.in_([shipment_id for _, shipment_id in chosen]))
        )
    }
    for reference, shipment_id in chosen:
        try:
            printables.append(_printable(shop, shipments[shipment_id]))
        except CourierError as exc:
            result.failures[reference] = str(exc)
            continue
        result.printed.append(reference)
    pdfs = _pdf_parts([p for p in printables if p.label_format != "ZPL"])
    zpls = [p.label for p in printables if p.label_format == "ZPL" and p.label is not None]
    result.pdf = sheets.layout_pdf(pdfs, layout, offset) if pdfs else None
    result.zpl = sheets.concat_zpl(zpls) if zpls else None
    return result


def _pdf_parts(printables: list[_Printable]) -> list[bytes]:
    """PDFs in print order; runs of own labels drawn as one document (one embedded font)."""
    parts: list[bytes] = []
    run: list[LabelContent] = []
    for printable in printables:
        if printable.own is not None:
            run.append(printable.own)
            continue
        if run:
            parts.append(render_many(run))
            run = []
        parts.append(printable.label or b"")
    if run:
        parts.append(render_many(run))
    return parts


def _printable(shop: Shop, shipment: Shipment) -> _Printable:
    if shipment.status != "created":
        raise CourierError(f"{shipment.status}: {shipment.error or 'no label'}")
    if shipment.courier == "own" and shipment.label_format != "ZPL" and shipment.tracking_number:
        content = content_from_request(shipment.request, shipment.tracking_number)
        return _Printable(shipment.label_format, own=content)
    label = ensure_label(shop, shipment)
    if label is None:
        raise CourierError("the courier has not issued the label yet")
    return _Printable(shipment.label_format, label=label)
