"""Bulk printing off the web request: the Labels tab asks, jobs do the work, the page watches.

``start_batch`` stores a ``LabelBatch`` and queues, after the commit, one
``create_order_shipment`` per order that has no shipment yet (workers create them side by
side, each at most once) and ``assemble_batch``, which waits until every order's shipment has
settled, then makes the PDF or ZPL from the shipments already created. The page polls
``progress`` and downloads ``content`` when the batch is ready. No courier is called inside a
web request.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from rq import Retry

from app.connectors.couriers.base import CourierError
from app.logs import fields as log_fields
from app.models import LabelBatch, Order, Shipment, Shop, ShopScope, db, utcnow
from app.pipeline import queues
from app.shipping import sheets
from app.shipping.bulk import bulk_print
from app.shipping.listener import create_order_shipment
from app.shipping.shipments import ensure_label

log = logging.getLogger(__name__)
KINDS = ("pdf", "zpl")
SETTLED = ("created", "failed", "needs_check", "cancelled")  # no job will change these soon
WAIT_AGAIN = timedelta(seconds=3)
GIVE_UP_WAITING = timedelta(minutes=10)  # then the unsettled ones are listed as failures


def start_batch(
    shop_id: int, order_ids: list[int], layout: str, offset: int, kind: str
) -> LabelBatch:
    """The batch row, and its jobs queued to run once the caller commits."""
    if layout not in sheets.LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(sheets.LAYOUTS)}, got {layout!r}")
    if layout == "a4x4" and not 0 <= offset < len(sheets.SLOTS):
        raise ValueError(f"start offset must be 0-{len(sheets.SLOTS) - 1}, got {offset}")
    if kind not in KINDS:
        raise ValueError(f"format must be one of {', '.join(KINDS)}, got {kind!r}")
    scope = ShopScope(shop_id)
    batch = scope.add(
        LabelBatch(layout=layout, start_offset=offset, kind=kind, order_ids=list(order_ids))
    )
    db.session.flush()
    session = db.session()
    for order_id in _without_shipment(shop_id, order_ids):
        queues.enqueue_after_commit(
            session, create_order_shipment, shop_id, order_id, job_id=f"labels-{shop_id}-{order_id}"
        )
    queues.enqueue_after_commit(
        session, assemble_batch, shop_id, batch.id, job_id=f"batch-{batch.id}"
    )
    return batch


def _without_shipment(shop_id: int, order_ids: list[int]) -> list[int]:
    have = set(
        db.session.scalars(
            ShopScope(shop_id)
            .select(Shipment, Shipment.order_id.in_(order_ids), Shipment.status.in_(SETTLED))
            .with_only_columns(Shipment.order_id)
        )
    )
    return [order_id for order_id in order_ids if order_id not in have]


def progress(batch: LabelBatch) -> tuple[int, int]:
    """(orders settled, orders in the batch): a cancelled or vanished order counts as settled."""
    total = len(batch.order_ids)
    if batch.status == "ready":
        return total, total
    open_orders = ShopScope(batch.shop_id).select(
        Order, Order.id.in_(batch.order_ids), Order.cancelled.is_(False)
    )
    open_ids = set(db.session.scalars(open_orders.with_only_columns(Order.id)))
    unsettled = open_ids - set(
        db.session.scalars(
            sa.select(Shipment.order_id).where(
                Shipment.shop_id == batch.shop_id,
                Shipment.order_id.in_(open_ids),
                Shipment.status.in_(SETTLED),
            )
        )
    )
    return total - len(unsettled), total


@queues.job("labels", timeout=600, retry=Retry(max=2, interval=[10, 60]))
def assemble_batch(shop_id: int, batch_id: int) -> str:
    """Make the batch's file once its shipments have settled. Safe to run twice."""
    batch = ShopScope(shop_id).get(LabelBatch, batch_id)
    if batch is None or batch.status == "ready":
        db.session.commit()
        return "done"
    done, total = progress(batch)
    waited = utcnow() - batch.created_at
    if done < total and waited < GIVE_UP_WAITING:
        db.session.commit()
        queues.queue("labels").enqueue_in(
            WAIT_AGAIN,
            assemble_batch,
            shop_id,
            batch_id,
            job_id=f"batch-{batch_id}",
            job_timeout=assemble_batch.job_options["timeout"],  # type: ignore[attr-defined]
        )
        return f"waiting {done}/{total}"
    result = bulk_print(
        shop_id, batch.order_ids, batch.layout, batch.start_offset, create_missing=False
    )
    batch.content = result.zpl if batch.kind == "zpl" else result.pdf
    batch.printed, batch.failures = result.printed, result.failures
    batch.status, batch.finished_at = "ready", utcnow()
    db.session.commit()
    log.info(
        "label batch ready",
        extra=log_fields(shop=shop_id, batch=batch_id, printed=len(result.printed)),
    )
    return "ready"


def request_label(shipment: Shipment) -> None:
    """Queue fetching a label the courier had not issued at creation (after the commit)."""
    queues.enqueue_after_commit(
        db.session(),
        fetch_label,
        shipment.shop_id,
        shipment.id,
        job_id=f"label-{shipment.id}",
    )


@queues.job("labels", timeout=120, retry=Retry(max=3, interval=[30, 120, 600]))
def fetch_label(shop_id: int, shipment_id: int) -> str:
    """Fetch and store the shipment's label from its courier. Safe to run twice."""
    shipment = ShopScope(shop_id).get(Shipment, shipment_id)
    shop = db.session.get(Shop, shop_id)
    if shipment is None or shop is None:
        return "gone"
    try:
        return "stored" if ensure_label(shop, shipment) is not None else "none"
    except CourierError as exc:
        shipment.error = f"label not available: {exc}"[:2000]
        db.session.commit()
        return "refused"
