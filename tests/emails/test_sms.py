from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from flask import Flask

from app.emails.sms import (
    FileSmsOutbox,
    PermanentFailure,
    SmsapiSender,
    SmsMessage,
    TemporaryFailure,
    get_sms_sender,
)
from app.models import Shop

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "smsapi")
SMS_URL = "https://api.smsapi.pl/sms.do"


def _fixture(name: str) -> Any:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return json.load(handle)


MESSAGE = SmsMessage(
    to="+48 100 200 300",
    body="Ola, Twój koszyk w Demo Boutique czeka: https://s.test/r/1",
    idempotency_key="run-7-step-3",
)


@responses.activate
def test_smsapi_sends_the_text_and_returns_its_id() -> None:
    call = responses.post(SMS_URL, json=_fixture("send_sms.json"), status=200)

    provider_id = SmsapiSender(token="tok-123", sender_name="DemoShop").send(MESSAGE)

    assert provider_id == "1"
    request = call.calls[0].request
    assert request.headers["Authorization"] == "Bearer tok-123"
    form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
    assert form == {
        "to": "48100200300",
        "message": MESSAGE.body,
        "from": "DemoShop",
        "format": "json",
        "encoding": "utf-8",
        "idx": "run-7-step-3",
        "check_idx": "1",
    }


@responses.activate
def test_smsapi_invalid_number_is_a_permanent_failure() -> None:
    responses.post(SMS_URL, json=_fixture("send_to_invalid_number.json"), status=200)

    with pytest.raises(PermanentFailure, match="error 13: No correct phone numbers"):
        SmsapiSender(token="tok").send(MESSAGE)


@responses.activate
def test_smsapi_authorization_error_with_http_200_is_permanent() -> None:
    responses.post(SMS_URL, json=_fixture("authorization_failed.json"), status=200)

    with pytest.raises(PermanentFailure, match="Authorization failed"):
        SmsapiSender(token="wrong").send(MESSAGE)


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 503, "body": "Service Unavailable"},
        {"status": 429, "json": {}},
        {"status": 200, "json": {"error": 201, "message": "System internal error"}},
        {"body": requests.ConnectionError("connection reset")},
    ],
)
@responses.activate
def test_smsapi_outages_are_temporary_failures(reply: dict[str, Any]) -> None:
    responses.post(SMS_URL, **reply)

    with pytest.raises(TemporaryFailure):
        SmsapiSender(token="tok").send(MESSAGE)


@responses.activate
def test_a_malformed_phone_number_is_refused_without_calling_the_gateway() -> None:
    with pytest.raises(PermanentFailure, match="not a phone number"):
        SmsapiSender(token="tok").send(SmsMessage(to="call me", body="x"))
    assert len(responses.calls) == 0


def test_file_sms_outbox_keeps_one_file_per_message(tmp_path: Any) -> None:
    outbox = FileSmsOutbox(str(tmp_path))

    first = outbox.send(MESSAGE)
    assert outbox.send(MESSAGE) == first

    with open(first, encoding="utf-8") as handle:
        assert json.load(handle)["body"] == MESSAGE.body
    assert len(os.listdir(str(tmp_path))) == 1


def test_shop_gateway_comes_from_its_credentials_or_settings(
    app: Flask, make_shop: Callable[..., Shop]
) -> None:
    with_token = make_shop(
        n=1, credentials={"smsapi_token": "t"}, settings={"sms_sender_name": "X"}
    )
    with_outbox = make_shop(n=2, settings={"sms_gateway": "outbox"})
    without = make_shop(n=3)

    assert get_sms_sender(with_token) == SmsapiSender(token="t", sender_name="X")
    assert isinstance(get_sms_sender(with_outbox), FileSmsOutbox)
    assert get_sms_sender(without) is None


def test_file_sms_outbox_is_never_used_in_production(
    app: Flask, make_shop: Callable[..., Shop], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_shop(settings={"sms_gateway": "outbox"})
    monkeypatch.setitem(app.config, "STOREFLOW_ENV", "production")

    assert get_sms_sender(shop) is None
