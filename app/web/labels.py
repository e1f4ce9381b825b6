"""Label pages: the public tracking page, label downloads, bulk print."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.connectors.couriers.names import carrier_name
from app.connectors.couriers.own.numbers import is_valid
from app.models import Customer, LabelBatch, Order, Shipment, Shop, ShopScope, db
from app.shipping import batches, links, pickup, texts, tracking
from app.shipping.bulk import printable_orders

bp = Blueprint("labels", __name__)
MIME = {"ZPL": "text/plain; charset=utf-8"}


@bp.get("/track/<int:shop_id>/<number>")
def tracking_page(shop_id: int, number: str) -> str:
    number = number.strip().upper()
    if len(number) > 128:
        abort(404)
    scope = ShopScope(shop_id)
    shipment = scope.first(Shipment, Shipment.tracking_number == number)
    shop = db.session.get(Shop, shop_id)
    if shipment is None or shop is None or (shipment.courier == "own" and not is_valid(number)):
        abort(404)
    # Their language: asked for, the one they shop in, their browser's, the shop's.
    locale = texts.locale_of(
        request.args.get("lang"),
        _customer_locale(shop_id, shipment),
        request.accept_languages.best_match(texts.LOCALES),
        shop.locale,
    )
    # Public page: our statuses and their dates only, no names, addresses or scan places.
    return render_template(
        "labels/tracking.html",
        shop=shop,
        shipment=shipment,
        locale=locale,
        text=texts.PAGE[locale],
        carrier=carrier_name(shop, shipment),
        status=texts.status_name(shipment.tracking_status, locale),
        history=[
            (event.happened_at, texts.status_name(event.status, locale))
            for event in tracking.history(shop_id, shipment.id)
        ],
    )


def _customer_locale(shop_id: int, shipment: Shipment) -> str | None:
    """The language the customer shops in, when the platform told us."""
    scope = ShopScope(shop_id)
    order = scope.get(Order, shipment.order_id)
    customer = scope.get(Customer, order.customer_id) if order and order.customer_id else None
    return customer.locale if customer else None


def shop_from(token: str) -> Shop:
    """The shop a signed label-page token names; 404 for a forged or expired one."""
    shop = links.shop_for(token)
    if shop is None:
        abort(404)
    return shop


@bp.get("/labels/shop/<token>")
def shop_page(token: str) -> str:
    return render_template("labels/shop.html", **links.label_page(shop_from(token), token))


@bp.post("/labels/shop/<token>/pickup")
def order_pickup(token: str) -> BaseResponse:
    """Queue today's courier pickup; the job asks the courier, the page shows its answer."""
    shop = shop_from(token)
    pickup.request_pickup(shop)
    db.session.commit()
    return redirect(url_for("labels.shop_page", token=token, pickup="queued"), code=303)


@bp.get("/labels/shop/<token>/shipments/<int:shipment_id>")
def download_label(token: str, shipment_id: int) -> Response:
    shop = shop_from(token)
    shipment = ShopScope(shop.id).get(Shipment, shipment_id)
    if shipment is None:
        abort(404)
    if shipment.label is None:
        if not shipment.carrier_shipment_id:
            return Response(shipment.error or "no label yet", status=409, mimetype="text/plain")
        # Never a courier call inside a web request: a job fetches it, the merchant retries.
        batches.request_label(shipment)
        db.session.commit()
        text = texts.BULK[texts.locale_of(shop.locale)]["label_pending"]
        return Response(text, status=409, mimetype="text/plain")
    extension = "zpl" if shipment.label_format == "ZPL" else "pdf"
    return _file(shipment.label, f"label-{shipment.tracking_number or shipment.id}.{extension}")


@bp.post("/labels/shop/<token>/bulk")
def bulk(token: str) -> BaseResponse:
    """Queue a bulk print of every paid order; the batch page shows progress, then the file."""
    shop = shop_from(token)
    try:
        offset = int(request.form.get("offset", "0"))
        batch = batches.start_batch(
            shop.id,
            printable_orders(shop.id),
            request.form.get("layout", "a6"),
            offset,
            request.form.get("format", "pdf"),
        )
    except ValueError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    db.session.commit()
    return redirect(url_for("labels.batch_page", token=token, batch_id=batch.id), code=303)


def _batch(shop: Shop, batch_id: int) -> LabelBatch:
    batch = ShopScope(shop.id).get(LabelBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/labels/shop/<token>/batches/<int:batch_id>")
def batch_page(token: str, batch_id: int) -> str:
    shop = shop_from(token)
    batch = _batch(shop, batch_id)
    done, total = batches.progress(batch)
    text = texts.BULK[texts.locale_of(shop.locale)]
    return render_template(
        "labels/batch.html",
        shop=shop,
        token=token,
        batch=batch,
        text=text,
        locale=texts.locale_of(shop.locale),
        state=(
            text["ready"].format(printed=len(batch.printed))
            if batch.status == "ready"
            else text["working"].format(done=done, total=total)
        ),
    )


@bp.get("/labels/shop/<token>/batches/<int:batch_id>/file")
def batch_file(token: str, batch_id: int) -> Response:
    shop = shop_from(token)
    batch = _batch(shop, batch_id)
    if batch.status != "ready" or batch.content is None:
        body = {"status": batch.status, "failures": batch.failures}
        return Response(json.dumps(body), status=409, mimetype="application/json")
    response = _file(batch.content, f"labels-{shop.id}-{batch.id}.{batch.kind}")
    # The failures travel with the file; the batch page lists them per order too.
    response.headers["X-Label-Failures"] = json.dumps(batch.failures, ensure_ascii=True)
    return response


def _file(content: bytes, filename: str) -> Response:
    mimetype = MIME["ZPL"] if filename.endswith(".zpl") else "application/pdf"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
