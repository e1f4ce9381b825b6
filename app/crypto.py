"""Encryption at rest for shop credentials: Fernet with key rotation.

``STOREFLOW_ENCRYPTION_KEYS`` is a comma-separated list; the first key encrypts, every key
decrypts, so a new key is rolled out by prepending it and ``rotate`` re-encrypts old rows.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class CredentialsError(RuntimeError):
    """Stored credentials could not be decrypted with any configured key."""


def _fernet(keys: list[str] | None = None) -> MultiFernet:
    keys = keys if keys is not None else current_app.config["ENCRYPTION_KEYS"]
    if not keys:
        raise CredentialsError("STOREFLOW_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_json(data: dict[str, Any], keys: list[str] | None = None) -> bytes:
    return _fernet(keys).encrypt(json.dumps(data, sort_keys=True).encode())


def decrypt_json(token: bytes, keys: list[str] | None = None) -> dict[str, Any]:
    try:
        return dict(json.loads(_fernet(keys).decrypt(token)))
    except InvalidToken:
        raise CredentialsError("credentials cannot be decrypted with the configured keys") from None


def rotate(token: bytes, keys: list[str] | None = None) -> bytes:
    """Re-encrypt ``token`` under the current primary key."""
    return _fernet(keys).rotate(token)
