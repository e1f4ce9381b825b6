"""Courier tokens kept between jobs: one login for many tracking checks, kept encrypted."""

from __future__ import annotations

import pytest
import responses

from app.connectors.couriers.fancourier import API as FAN
from app.models import Shipment, ShopScope, db
from app.pipeline.queues import redis_connection
from app.shipping import settings as label_settings
from app.shipping import tokens
from app.shipping.tracking import track_shipment
from tests.shipping.test_listener import SENDER
from tests.support.couriers import fixture_json

TOKEN = "1811783|P28BQMrSipEdRfPujLKpqKJjoYLyxT8RsW0MxMQ7"  # the login fixture's


@pytest.fixture()
def fan_shipments(shop, make_orders) -> list[Shipment]:
    settings = label_settings.LabelSettings(enabled=True, courier="fan_courier", sender=SENDER)
    credentials = {"client_id": 7032158, "username": "clienttest", "password": "testing"}
    label_settings.save(shop.id, settings, credentials)
    rows = [
        ShopScope(shop.id).add(
            Shipment(
                order_id=order_id,
                courier="fan_courier",
                status="created",
                idempotency_key=f"k{order_id}",
                tracking_number="2347300120337",
                tracking_status="created",
                request={},
            )
        )
        for order_id in make_orders(2)
    ]
    db.session.commit()
    return rows


@responses.activate
def test_many_tracking_checks_log_in_once_and_keep_the_token_encrypted(shop, fan_shipments):
    login = responses.post(f"{FAN}/login", json=fixture_json("fancourier/login_response.json"))
    track = responses.get(
        f"{FAN}/reports/awb/tracking", json=fixture_json("fancourier/tracking_response.json")
    )

    for shipment in fan_shipments:
        assert track_shipment(shop.id, shipment.id) == "picked_up"

    assert login.call_count == 1
    assert [c.request.headers["Authorization"] for c in track.calls] == [f"Bearer {TOKEN}"] * 2
    stored = redis_connection().get(f"storeflow:courier-token:{shop.id}:fan_courier")
    assert stored and TOKEN.encode() not in stored
    assert tokens.cached(shop.id, "fan_courier") == TOKEN


@responses.activate
def test_a_kept_token_the_courier_no_longer_takes_is_replaced_after_one_login(shop, fan_shipments):
    tokens.keep(shop.id, "fan_courier", "stale")
    login = responses.post(f"{FAN}/login", json=fixture_json("fancourier/login_response.json"))
    refused = responses.get(
        f"{FAN}/reports/awb/tracking", status=401, json={"message": "Unauthenticated"}
    )
    responses.get(
        f"{FAN}/reports/awb/tracking", json=fixture_json("fancourier/tracking_response.json")
    )

    assert track_shipment(shop.id, fan_shipments[0].id) == "picked_up"

    assert refused.calls[0].request.headers["Authorization"] == "Bearer stale"
    assert login.call_count == 1
    assert tokens.cached(shop.id, "fan_courier") == TOKEN
