"""Label pages: the public tracking page, label downloads, bulk print."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.connectors.couriers.base import CourierError
from app.connectors.couriers.names import carrier_name
from app.connectors.couriers.own.numbers import is_valid
from app.models import Customer, Order, Shipment, Shop, ShopScope, db
from app.shipping import links, pickup, texts, tracking
from app.shipping.bulk import bulk_print, printable_orders
from app.shipping.shipments import ensure_label

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
    try:
        label = ensure_label(shop, shipment)
    except CourierError as exc:
        return Response(f"label not available: {exc}", status=502, mimetype="text/plain")
    if label is None:
        return Response(shipment.error or "no label yet", status=409, mimetype="text/plain")
    extension = "zpl" if shipment.label_format == "ZPL" else "pdf"
    return _file(label, f"label-{shipment.tracking_number or shipment.id}.{extension}")


@bp.get("/labels/shop/<token>/bulk")
def bulk(token: str) -> Response:
    shop = shop_from(token)
    layout = request.args.get("layout", "a6")
    kind = request.args.get("format", "pdf")
    try:
        offset = int(request.args.get("offset", "0"))
        result = bulk_print(shop.id, printable_orders(shop.id), layout, offset)
    except ValueError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    content = result.zpl if kind == "zpl" else result.pdf
    if content is None:
        body = {"error": f"no {kind} labels", "failures": result.failures}
        return Response(json.dumps(body), status=409, mimetype="application/json")
    response = _file(content, f"labels-{shop.id}.{kind}")
    # The failures travel with the file; the shop page lists them per order too.
    response.headers["X-Label-Failures"] = json.dumps(result.failures, ensure_ascii=True)
    return response


def _file(content: bytes, filename: str) -> Response:
    mimetype = MIME["ZPL"] if filename.endswith(".zpl") else "application/pdf"
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
