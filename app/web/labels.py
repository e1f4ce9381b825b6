"""Label pages: the public tracking page of own labels, label downloads, bulk print."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from app.connectors.couriers.base import CourierError
from app.connectors.couriers.own.numbers import is_valid
from app.demo.labels import paid_order_delivery
from app.demo.seed import DEMO_DOMAIN
from app.models import Order, Shipment, Shop, ShopScope, db
from app.shipping import links
from app.shipping.bulk import bulk_print, printable_orders
from app.shipping.shipments import ensure_label

bp = Blueprint("labels", __name__)
MIME = {"ZPL": "text/plain; charset=utf-8"}


@bp.get("/track/<int:shop_id>/<number>")
def tracking_page(shop_id: int, number: str) -> str:
    number = number.strip().upper()
    if not is_valid(number):
        abort(404)
    shipment = ShopScope(shop_id).first(
        Shipment, Shipment.tracking_number == number, Shipment.courier == "own"
    )
    shop = db.session.get(Shop, shop_id)
    if shipment is None or shop is None:
        abort(404)
    # Public page: status and dates only, no names or addresses.
    return render_template("labels/tracking.html", shop=shop, shipment=shipment)


def _shop_from(token: str) -> Shop:
    payload = links.load("shop", token)
    shop = db.session.get(Shop, payload["shop"]) if payload else None
    if shop is None:
        abort(404)
    return shop


@bp.get("/labels/shop/<token>")
def shop_page(token: str) -> str:
    shop = _shop_from(token)
    scope = ShopScope(shop.id)
    orders = {o.id: o for o in scope.all(Order)}
    shipments = scope.session.scalars(scope.select(Shipment).order_by(Shipment.id.desc())).all()
    return render_template(
        "labels/shop.html",
        shop=shop,
        token=token,
        shipments=shipments,
        orders=orders,
        demo_orders=shop.domain == DEMO_DOMAIN,
    )


@bp.post("/labels/shop/<token>/demo-order")
def demo_order(token: str) -> Response:
    """Pay a demo order through the real, signed webhook path (demo shop only)."""
    shop = _shop_from(token)
    if shop.domain != DEMO_DOMAIN or not current_app.config.get("ENABLE_DEMO_CONNECTOR"):
        abort(404)
    body, headers = paid_order_delivery(shop, None, cod=request.form.get("cod") == "1")
    answer = current_app.test_client().post("/webhooks/demo", data=body, headers=headers)
    if answer.status_code != 200:
        return Response(answer.get_data(), status=502, mimetype="text/plain")
    return redirect(url_for("labels.shop_page", token=token), code=303)  # type: ignore[return-value]


@bp.get("/labels/shop/<token>/shipments/<int:shipment_id>")
def download_label(token: str, shipment_id: int) -> Response:
    shop = _shop_from(token)
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
    shop = _shop_from(token)
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
