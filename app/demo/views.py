"""The demo boutique's page with "Pay a demo order" buttons, at ``/demo/labels/<token>``.

It shows the demo parcels as they go; the merchant's own labels (bulk print, downloads,
pickup) are in the merchant page's Labels tab, which it links to through the development
sign-in. Registered only when the demo connector is enabled.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from app.connectors.couriers.names import carrier_name
from app.demo.deliveries import deliver_here
from app.demo.labels import DEMO_COURIERS, paid_order, switch_courier, track_now
from app.demo.shops import DEMO_DOMAIN
from app.models import Order, Shipment, Shop, ShopScope, db
from app.shipping import texts
from app.shipping.links import shop_for

bp = Blueprint("demo", __name__, template_folder="templates")


def _demo_shop_from(token: str) -> Shop:
    shop = shop_for(token)
    if shop is None or shop.domain != DEMO_DOMAIN:
        abort(404)  # a real shop's orders come from its platform only
    return shop


@bp.get("/demo/labels/<token>")
def labels_page(token: str) -> str:
    shop = _demo_shop_from(token)
    scope = ShopScope(shop.id)
    shipments = scope.session.scalars(scope.select(Shipment).order_by(Shipment.id.desc())).all()
    locale = texts.locale_of(shop.locale)
    return render_template(
        "demo/labels.html",
        shop=shop,
        token=token,
        shipments=shipments,
        orders={o.id: o for o in scope.all(Order)},
        text=texts.LABELS[locale],
        label_states=texts.LABEL_STATES[locale],
        tracking_names=texts.STATUS_NAMES[locale],
        carrier_names={s.id: carrier_name(shop, s) for s in shipments},
        locale=locale,
        demo_couriers=tuple(DEMO_COURIERS),
    )


@bp.post("/demo/labels/<token>/courier", endpoint="courier")
def choose_courier(token: str) -> Response:
    """Ship the demo shop's next orders with another courier (FAN and Cargus: their fakes)."""
    shop = _demo_shop_from(token)
    try:
        switch_courier(shop, request.form.get("courier", ""))
    except ValueError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    db.session.commit()
    return redirect(url_for("demo.labels_page", token=token), code=303)  # type: ignore[return-value]


@bp.post("/demo/labels/<token>/track", endpoint="track")
def track_parcels_now(token: str) -> Response:
    """Ask the couriers where the demo parcels are now (the fakes move one step a minute)."""
    track_now(_demo_shop_from(token))
    db.session.commit()
    return redirect(url_for("demo.labels_page", token=token), code=303)  # type: ignore[return-value]


@bp.post("/demo/labels/<token>/paid-order", endpoint="paid_order")
def pay_a_demo_order(token: str) -> Response:
    """Pay a demo order through the real pipeline: a signed delivery, stored and queued."""
    shop = _demo_shop_from(token)
    payload = paid_order(shop, None, cod=request.form.get("cod") == "1")
    status = deliver_here(shop, "order/paid", payload)
    if status != "received":
        return Response(f"demo order not accepted: {status}", status=502, mimetype="text/plain")
    return redirect(url_for("demo.labels_page", token=token), code=303)  # type: ignore[return-value]
