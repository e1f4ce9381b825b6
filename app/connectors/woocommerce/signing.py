"""Signatures shared with the Storeflow WordPress plugin (the contract in issue 4).

Pure functions: no app, no database. The plugin signs its events with the shared secret over
``"<timestamp>.<raw body>"``; restore and embedded-admin tokens are ``<payload>.<sig>`` with
base64url (no padding) JSON and an HMAC-SHA256 of the payload string.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.connectors.base import SignatureError, header, hmac_sha256, verify_base64_hmac

REPLAY_WINDOW_SECONDS = 300


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignatureError("token part is not base64url") from None


def _compact(data: Any) -> bytes:
    # Compact separators: the PHP side signs json_encode output, which has no spaces.
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def sign_token(secret: str, payload: Mapping[str, Any]) -> str:
    body = _b64url(_compact(payload))
    return f"{body}.{_b64url(hmac_sha256(secret, body.encode()))}"


def _payload(body: str) -> dict[str, Any]:
    try:
        payload = json.loads(_unb64url(body))
    except ValueError:
        raise SignatureError("token payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SignatureError("token payload is not an object")
    return payload


def unverified_payload(token: str) -> dict[str, Any]:
    """What a token claims, before any check: only for choosing which secret verifies it."""
    return _payload(token.strip().partition(".")[0])


def read_token(secret: str, token: str) -> dict[str, Any]:
    """The payload of a ``<payload>.<sig>`` token signed with ``secret``; SignatureError if not."""
    body, dot, sig = token.strip().partition(".")
    if not dot or not body or not sig:
        raise SignatureError("token is not <payload>.<signature>")
    if not hmac.compare_digest(hmac_sha256(secret, body.encode()), _unb64url(sig)):
        raise SignatureError("token signature does not match")
    return _payload(body)


def issue_restore_token(
    secret: str,
    cart_key: str,
    items: Iterable[Sequence[int]],
    discount_code: str | None,
    expires_at: int,
) -> str:
    """The token the plugin accepts at ``/?storeflow_restore=<token>`` to rebuild a cart.

    ``items`` are ``(product_id, variation_id, quantity)``; ``expires_at`` is unix seconds.
    """
    rows = [[int(product), int(variation), int(quantity)] for product, variation, quantity in items]
    payload = {"k": cart_key, "i": rows, "d": discount_code, "x": int(expires_at)}
    return sign_token(secret, payload)


def verify_embedded_token(secret: str, token: str, now: float) -> dict[str, Any]:
    """Check a WordPress admin token minted by the plugin: ``{store, user, exp}``."""
    payload = read_token(secret, token)
    exp = payload.get("exp")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise SignatureError("token has no expiry")
    if exp < now:
        raise SignatureError("token expired")
    if not isinstance(payload.get("store"), str) or not isinstance(payload.get("user"), int):
        raise SignatureError("token lacks store or user")
    return payload


def verify_plugin_event(
    secret: str | Iterable[str], headers: Mapping[str, str], body: bytes, now: float
) -> None:
    """Raise SignatureError unless the plugin signed this body within the replay window."""
    raw_ts = header(headers, "X-Storeflow-Timestamp") or ""
    # isascii: "²".isdigit() is true; the length keeps int() and the arithmetic small.
    if not (raw_ts.isascii() and raw_ts.isdigit() and len(raw_ts) <= 12):
        raise SignatureError("missing or malformed X-Storeflow-Timestamp")
    if abs(now - int(raw_ts)) > REPLAY_WINDOW_SECONDS:
        raise SignatureError("timestamp outside the 300 s window (replay or clock skew)")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    signed = raw_ts.encode() + b"." + body
    verify_base64_hmac(secrets, signed, header(headers, "X-Storeflow-Signature"))
