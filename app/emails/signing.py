"""Signed URL tokens for the links in our emails, the signer built once per secret and purpose.

An email carries a dozen signed links (the pixel, a click redirect per product in the HTML and
text parts, the unsubscribe and restore links). Building an itsdangerous serializer for each one
derived the HMAC key again and JSON-encoded a probe value each time: a third of the render cost.
Here the key is derived once and the keyed HMAC copied per token. The tokens are byte for byte
what ``URLSafeSerializer(secret, salt=...).dumps`` makes (``tests/emails/test_signing.py``), so
links in mail already sent keep working, and reading goes through itsdangerous itself.
Writing skips its layers too: one C JSON encoder built once, then the same steps (compact JSON,
zlib when that is shorter, URL-safe base64 without padding, the HMAC).
"""

from __future__ import annotations

import binascii
import hmac
import json
import zlib
from collections.abc import Callable
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from flask import current_app
from itsdangerous import URLSafeSerializer

_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# itsdangerous's compact JSON (``_CompactJSON.dumps``: ``ensure_ascii=False``, no spaces).
# ``JSONEncoder.encode`` builds this C encoder anew on every call; ours is built once, without
# the circular-reference check (a link's payload is a flat list or dict we make).
_ENCODE = c_make_encoder and c_make_encoder(
    None, _not_serializable, encode_basestring, None, ":", ",", False, False, True
)


def _compact_json_once_built(payload: Any) -> str:
    return "".join(_ENCODE(payload, 0))


_COMPACT_JSON: Callable[[Any], str] = (
    _compact_json_once_built
    if _ENCODE  # None only on a Python without the _json accelerator
    else json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
)


def _b64(data: bytes) -> bytes:
    """``itsdangerous.encoding.base64_encode``: URL-safe, no padding."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")


class LinkSigner:
    """``dumps`` and ``loads`` of ``URLSafeSerializer(secret, salt=salt)``, the key derived once."""

    def __init__(self, secret: str, salt: str) -> None:
        self.serializer = URLSafeSerializer(secret, salt=salt)
        signer = self.serializer.make_signer()
        self._mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
        self._sep = signer.sep

    def dumps(self, payload: Any) -> str:
        data = _COMPACT_JSON(payload).encode("utf-8")
        compressed = zlib.compress(data)  # used when shorter, as URLSafeSerializer does
        body = b"." + _b64(compressed) if len(compressed) < len(data) - 1 else _b64(data)
        mac = self._mac.copy()  # the keyed HMAC copied: cheaper than hmac.digest's one call
        mac.update(body)
        return (body + self._sep + _b64(mac.digest())).decode("ascii")

    def loads(self, token: str) -> Any:
        """The payload; ``itsdangerous.BadSignature`` when the token is not ours."""
        return self.serializer.loads(token)


@lru_cache(maxsize=32)
def _signer(secret: str, salt: str) -> LinkSigner:
    return LinkSigner(secret, salt)


def link_signer(salt: str) -> LinkSigner:
    """The signer for ``salt`` under the app's current SECRET_KEY (a new key, a new signer)."""
    return _signer(current_app.config["SECRET_KEY"], salt)
