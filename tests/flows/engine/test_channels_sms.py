"""The optional SMS with the first reminder: sent through the shop's gateway (SMSAPI, faked
with its documented reply) only when the shopper agreed to texts and the shop has a gateway."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

import pytest
import responses

from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import FlowRun, Message, ShopScope, db
from tests.support.flows import cart_payload

SMS_URL = "https://api.smsapi.pl/sms.do"
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "smsapi")


@pytest.fixture()
def sms_shop(flow_shop):
    flow_shop.credentials = {**flow_shop.credentials, "smsapi_token": "token-123"}
    save_settings(flow_shop.id, abandoned_cart.FLOW, {"sms": True})
    db.session.commit()
    return flow_shop


def _with_phone(payload: dict, sms_consent: bool) -> dict:
    payload["customer"].update(phone="+48 600 100 200", accepts_sms=sms_consent)
    return payload


def _abandon_with_sms(shop_events, tick, gateway_reply: str) -> None:
    """A cart of a shopper who agreed to texts, one hour later; SMSAPI answers as documented."""
    with open(os.path.join(FIXTURES, gateway_reply)) as handle:
        responses.post(SMS_URL, json=json.load(handle))
    shop_events("cart/updated", _with_phone(cart_payload(), sms_consent=True))
    tick(minutes=61)


@responses.activate
def test_sms_goes_out_with_the_first_reminder_when_the_shopper_agreed(
    sms_shop, sim_clock, shop_events, tick, mailbox
):
    _abandon_with_sms(shop_events, tick, gateway_reply="send_sms.json")
    assert len(mailbox.received) == 1
    (call,) = responses.calls
    sent = parse_qs(call.request.body)
    assert sent["to"] == ["48600100200"]
    assert "http://storeflow.test/r/" in sent["message"][0]
    assert sent["idx"] and sent["check_idx"] == ["1"]  # the gateway refuses a repeat
    channels = {m.channel: m.status for m in ShopScope(sms_shop.id).all(Message)}
    assert channels == {"email": "sent", "sms": "sent"}
    (run,) = ShopScope(sms_shop.id).all(FlowRun)
    assert run.step == 2 and run.state == "active"


@responses.activate
def test_no_sms_without_sms_consent_but_the_emails_go_on(
    sms_shop, sim_clock, shop_events, tick, mailbox
):
    shop_events("cart/updated", _with_phone(cart_payload(), sms_consent=False))
    tick(minutes=61)
    assert len(responses.calls) == 0
    assert len(mailbox.received) == 1
    assert [m.channel for m in ShopScope(sms_shop.id).all(Message)] == ["email"]
    (run,) = ShopScope(sms_shop.id).all(FlowRun)
    assert run.step == 2 and run.state == "active"


@responses.activate
def test_a_refused_sms_is_recorded_failed_and_the_emails_go_on(
    sms_shop, sim_clock, shop_events, tick, mailbox
):
    _abandon_with_sms(shop_events, tick, gateway_reply="send_to_invalid_number.json")
    statuses = {m.channel: m.status for m in ShopScope(sms_shop.id).all(Message)}
    assert statuses == {"email": "sent", "sms": "failed"}
    (run,) = ShopScope(sms_shop.id).all(FlowRun)
    assert run.step == 2 and run.state == "active"
    tick(hours=23)
    assert len(mailbox.received) == 2
