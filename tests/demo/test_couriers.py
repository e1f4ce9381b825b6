"""The demo shop switches to FAN Courier or Cargus, prints through the real adapters against
the demo's fakes (app/demo/couriers.py), and its parcel is followed to delivered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import responses

from app.demo.seed import seed
from app.flows import cross_sell
from app.flows.engine import clock
from app.flows.engine.settings import save_settings
from app.models import FlowRun, Shipment, ShopScope, db, utcnow
from app.shipping import links
from app.shipping.tracking import history

FAKES = "http://storeflow.test/demo/couriers"


@pytest.fixture()
def fakes(app, client) -> Iterator[None]:
    """The couriers' API addresses pointed at the demo's fakes, reached through the app."""
    before = app.config["FAN_COURIER_URL"], app.config["CARGUS_URL"]
    app.config["FAN_COURIER_URL"], app.config["CARGUS_URL"] = f"{FAKES}/fan", f"{FAKES}/cargus"

    def forward(request):  # type: ignore[no-untyped-def]
        url = urlparse(request.url)
        answer = client.open(
            url.path, method=request.method, query_string=url.query, data=request.body
        )
        return answer.status_code, {"Content-Type": answer.content_type}, answer.data

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT", "DELETE"):
            mock.add_callback(method, re.compile(f"{FAKES}/.*"), callback=forward)
        yield
    app.config["FAN_COURIER_URL"], app.config["CARGUS_URL"] = before


@pytest.mark.parametrize(("courier", "name"), [("fan_courier", "FAN"), ("cargus", "Cargus")])
def test_demo_shop_ships_with_a_romanian_courier_and_its_delivery_starts_the_cross_sell(
    client, run_jobs, fakes, monkeypatch, courier, name
):
    shop = seed()
    settings = {"starts_after": "delivered", "holdout_percent": 0}
    save_settings(shop.id, cross_sell.FLOW, settings, enabled=True)
    db.session.commit()
    token = links.sign("shop", {"shop": shop.id})

    assert (
        client.post(f"/demo/labels/{token}/courier", data={"courier": courier}).status_code == 303
    )
    client.post(f"/demo/labels/{token}/paid-order", data={"cod": "1"})
    run_jobs()

    db.session.expire_all()
    [shipment] = ShopScope(shop.id).all(Shipment)
    assert (shipment.courier, shipment.status) == (courier, "created")
    assert shipment.label and shipment.label.startswith(b"%PDF")
    assert shipment.request["recipient"]["country_code"] == "RO"
    runs = ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == cross_sell.KEY)
    assert runs == []  # counted from delivery: not on payment

    later = utcnow() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.post(f"/demo/labels/{token}/track").status_code == 303
    run_jobs()

    db.session.expire_all()
    shipment = ShopScope(shop.id).get(Shipment, shipment.id)
    assert shipment is not None and shipment.tracking_status == "delivered"
    assert [e.status for e in history(shop.id, shipment.id)] == [
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    [run] = ShopScope(shop.id).all(FlowRun, FlowRun.flow_key == cross_sell.KEY)
    assert run.subject_key == f"order:{shipment.order_id}" and run.state == "active"
    assert shipment.delivered_at is not None and run.next_step_at > shipment.delivered_at
    page = client.get(f"/track/{shop.id}/{shipment.tracking_number}").get_data(as_text=True)
    assert "Doręczona" in page and name in page
