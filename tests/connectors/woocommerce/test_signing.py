"""The signing contract shared with the WordPress plugin, checked byte for byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from app.connectors.base import SignatureError
from app.connectors.woocommerce.signing import (
    issue_restore_token,
    sign_token,
    verify_embedded_token,
    verify_plugin_event,
)

SECRET = "ab" * 32
NOW = 1_800_000_000


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_restore_token_is_base64url_compact_json_with_hmac_of_the_payload_string():
    token = issue_restore_token(SECRET, "cart-1", [(12, 0, 2), (30, 31, 1)], "SAVE10", NOW)
    payload, sig = token.split(".")
    assert "=" not in token
    assert (
        b64url_decode(payload)
        == b'{"k":"cart-1","i":[[12,0,2],[30,31,1]],"d":"SAVE10","x":1800000000}'
    )
    expected = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()
    assert b64url_decode(sig) == expected


def test_restore_token_without_discount_carries_null():
    token = issue_restore_token(SECRET, "c", [], None, NOW)
    assert json.loads(b64url_decode(token.split(".")[0]))["d"] is None


def embedded(payload: dict, secret: str = SECRET) -> str:
    return sign_token(secret, payload)


def test_embedded_token_from_the_plugin_is_accepted_until_it_expires():
    token = embedded({"store": "https://shop.example", "user": 1, "exp": NOW + 300})
    assert verify_embedded_token(SECRET, token, NOW)["user"] == 1
    with pytest.raises(SignatureError, match="expired"):
        verify_embedded_token(SECRET, token, NOW + 301)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(".", ".A", 1),
        lambda t: "e30" + t[3:],
        lambda t: t.split(".")[0],
        lambda t: embedded({"store": "https://shop.example", "user": 1, "exp": NOW}, "other"),
    ],
)
def test_tampered_or_foreign_embedded_tokens_are_refused(mangle):
    token = embedded({"store": "https://shop.example", "user": 1, "exp": NOW + 300})
    with pytest.raises(SignatureError):
        verify_embedded_token(SECRET, mangle(token), NOW)


def plugin_signature(timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


def test_plugin_event_signed_over_timestamp_dot_body_is_accepted():
    body = b'{"cart_key":"k"}'
    headers = {
        "X-Storeflow-Timestamp": str(NOW),
        "X-Storeflow-Signature": plugin_signature(NOW, body),
    }
    verify_plugin_event(SECRET, headers, body, NOW + 299)


@pytest.mark.parametrize("skew", [301, -301])
def test_plugin_event_outside_the_window_is_refused_both_ways(skew):
    body = b"{}"
    headers = {
        "X-Storeflow-Timestamp": str(NOW),
        "X-Storeflow-Signature": plugin_signature(NOW, body),
    }
    with pytest.raises(SignatureError, match="window"):
        verify_plugin_event(SECRET, headers, body, NOW + skew)


def test_plugin_signature_binds_the_timestamp():
    body = b"{}"
    headers = {
        "X-Storeflow-Timestamp": str(NOW + 10),
        "X-Storeflow-Signature": plugin_signature(NOW, body),
    }
    with pytest.raises(SignatureError, match="does not match"):
        verify_plugin_event(SECRET, headers, body, NOW)


def test_plugin_event_without_timestamp_is_refused():
    with pytest.raises(SignatureError, match="Timestamp"):
        verify_plugin_event(SECRET, {"X-Storeflow-Signature": "x"}, b"{}", NOW)
