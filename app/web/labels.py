"""The customer's public tracking page. The merchant's labels live in the merchant page's
Labels tab (``app/web/embedded/labels.py``), opened from the shop's admin; no signed link
opens them any more."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.connectors.couriers.names import carrier_name
from app.connectors.couriers.own.numbers import is_valid
from app.models import Customer, Order, Shipment, Shop, ShopScope, db
from app.shipping import texts, tracking

bp = Blueprint("labels", __name__)


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
