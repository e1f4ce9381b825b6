"""The merchant page's Labels tab (``/embedded/labels``): orders waiting for a label, bulk
print, today's pickup, the shop's shipments and their labels.

Nothing here calls a courier: the bulk form stores a ``LabelBatch`` and queues its jobs on the
``labels`` queue (``app.shipping.batches``); the batch page polls a small status answer until
the file is ready. Every request carries the page's token (no cookie, no signed link), the
downloads too: ``page.js`` fetches a file with the ``Authorization`` header and saves the blob,
so no address that opens a label ever exists outside the page.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, jsonify, request

from app.connectors.couriers.names import carrier_name
from app.models import LabelBatch, Order, Shipment, Shop, ShopScope, db
from app.shipping import batches, pickup, sheets, texts
from app.shipping import settings as label_settings
from app.shipping.tracking import ATTENTION
from app.web.embedded import session as auth
from app.web.embedded.i18n import N_, Words, words_for
from app.web.embedded.shop_details import details_context
from app.web.embedded.views import Notices, _render, bp

RECENT_SHIPMENTS = 50
WAITING_LIMIT = 200
MIME = {"zpl": "text/plain; charset=utf-8", "pdf": "application/pdf"}
LAYOUTS = {"a6": N_("One label per A6 page"), "a4x4": N_("Four labels per A4 page")}


def waiting_orders(shop_id: int) -> list[Order]:
    """Paid (or cash-on-delivery) open orders not yet sent and without a created label, oldest
    first, at most ``WAITING_LIMIT`` (one bulk print's worth; the next print takes the rest)."""
    labelled = sa.select(Shipment.order_id).where(
        Shipment.shop_id == shop_id, Shipment.status == "created"
    )
    stmt = (
        ShopScope(shop_id)
        .select(
            Order,
            sa.or_(Order.paid_at.is_not(None), Order.is_cod.is_(True)),
            Order.cancelled.is_(False),
            Order.fulfilled_at.is_(None),
            Order.id.not_in(labelled),
        )
        .order_by(Order.placed_at, Order.id)
        .limit(WAITING_LIMIT)
    )
    return list(db.session.scalars(stmt))


def labels_context(shop: Shop, words: Words, batch: LabelBatch | None = None) -> dict[str, Any]:
    scope = ShopScope(shop.id)
    shipments = list(
        db.session.scalars(
            scope.select(Shipment).order_by(Shipment.id.desc()).limit(RECENT_SHIPMENTS)
        )
    )
    order_ids = {s.order_id for s in shipments}
    orders = {o.id: o for o in scope.all(Order, Order.id.in_(order_ids))} if order_ids else {}
    locale = texts.locale_of(words.locale)
    ordered = pickup.ordered_today(shop)
    return {
        "view": "labels",
        "details": details_context(shop, words.locale),
        "enabled": label_settings.load(shop.id).enabled,
        "waiting": waiting_orders(shop.id),
        "shipments": shipments,
        "orders": orders,
        "carrier_names": {s.id: carrier_name(shop, s) for s in shipments},
        "label_states": texts.LABEL_STATES[locale],
        "tracking_names": texts.STATUS_NAMES[locale],
        "attention": [s for s in shipments if s.tracking_status in ATTENTION],
        "layouts": LAYOUTS,
        "slots": len(sheets.SLOTS),
        "can_pickup": pickup.can_order_pickup(shop) and ordered is None,
        "pickup_outcome": texts.pickup_outcome(ordered.details, locale) if ordered else "",
        "batch": batch,
        "progress": batches.progress(batch) if batch is not None else (0, 0),
    }


def _labels_page(shop: Shop, notices: Notices = (), batch: LabelBatch | None = None) -> str:
    words = words_for(shop)
    return _render(shop, words, "labels", labels_context(shop, words, batch), notices)


@bp.get("/labels")
@auth.login_required
def labels_page() -> str:
    return _labels_page(auth.current_shop())


@bp.post("/labels/bulk")
@auth.login_required
def bulk_print() -> str | tuple[str, int]:
    """Queue one file of every waiting order's label; the answer is the batch's page."""
    shop = auth.current_shop()
    words = words_for(shop)
    try:
        offset = int(request.form.get("offset", "0") or 0)
        order_ids = [o.id for o in waiting_orders(shop.id)]
        if not order_ids:
            raise ValueError(words._("No order is waiting for a label."))
        batch = batches.start_batch(
            shop.id,
            order_ids,
            request.form.get("layout", "a6"),
            offset,
            request.form.get("format", "pdf"),
        )
    except ValueError as exc:
        db.session.rollback()
        said = words._("Not printed: %(why)s", why=str(exc))
        return _labels_page(shop, (("error", said),)), 400
    db.session.commit()
    said = words.ngettext(
        "Printing %(num)s label: this page shows when the file is ready.",
        "Printing %(num)s labels: this page shows when the file is ready.",
        len(order_ids),
    )
    return _labels_page(shop, (("notice", said),), batch)


def _batch(shop_id: int, batch_id: int) -> LabelBatch:
    batch = ShopScope(shop_id).get(LabelBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/labels/batches/<int:batch_id>")
@auth.login_required
def batch_page(batch_id: int) -> str:
    shop = auth.current_shop()
    return _labels_page(shop, batch=_batch(shop.id, batch_id))


@bp.get("/labels/batches/<int:batch_id>/status")
@auth.login_required
def batch_status(batch_id: int) -> Response:
    """What the batch page polls: how far the jobs are, and whether the file is there."""
    batch = _batch(auth.current_shop().id, batch_id)
    done, total = batches.progress(batch)
    return jsonify(status=batch.status, done=done, total=total)


@bp.get("/labels/batches/<int:batch_id>/file")
@auth.login_required
def batch_file(batch_id: int) -> Response:
    shop = auth.current_shop()
    batch = _batch(shop.id, batch_id)
    if batch.status != "ready" or batch.content is None:
        said = words_for(shop)._("The file is not ready yet.")
        return Response(said, status=409, mimetype="text/plain")
    response = _file(batch.content, f"labels-{shop.id}-{batch.id}.{batch.kind}")
    response.headers["X-Label-Failures"] = json.dumps(batch.failures, ensure_ascii=True)
    return response


@bp.get("/labels/shipments/<int:shipment_id>/file")
@auth.login_required
def shipment_file(shipment_id: int) -> Response:
    shop = auth.current_shop()
    shipment = ShopScope(shop.id).get(Shipment, shipment_id)
    if shipment is None:
        abort(404)
    if shipment.label is None:
        words = words_for(shop)
        if not shipment.carrier_shipment_id:
            said = shipment.error or words._("This shipment has no label.")
            return Response(said, status=409, mimetype="text/plain")
        # Never a courier call inside a web request: a job fetches it, the merchant retries.
        batches.request_label(shipment)
        db.session.commit()
        said = words._("The courier has not issued this label yet; try again in a minute.")
        return Response(said, status=409, mimetype="text/plain")
    extension = "zpl" if shipment.label_format == "ZPL" else "pdf"
    return _file(shipment.label, f"label-{shipment.tracking_number or shipment.id}.{extension}")


@bp.post("/labels/pickup")
@auth.login_required
def order_pickup() -> str:
    """Queue today's courier pickup; the job asks the courier, the tab shows its answer."""
    shop = auth.current_shop()
    pickup.request_pickup(shop)
    db.session.commit()
    said = words_for(shop)._("Pickup requested: the courier's answer appears here shortly.")
    return _labels_page(shop, (("notice", said),))


def _file(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype=MIME[filename.rsplit(".", 1)[1]])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
