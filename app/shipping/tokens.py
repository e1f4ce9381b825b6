"""Courier login tokens kept between jobs: one login per shop and courier while the token
lasts, not one per job (a tracking poll would otherwise log in dozens of times a minute).

Redis holds them, encrypted with the shop credentials' keys (a token opens the courier
account), for less than the courier lets them live; a lost or expired one only costs a login.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from app.connectors.couriers.base import Courier, LogsIn
from app.crypto import CredentialsError, decrypt_json, encrypt_json
from app.logs import fields as log_fields
from app.pipeline.queues import redis_connection

log = logging.getLogger(__name__)
# Less than each courier's token lifetime (Sameday's expires first; FAN and Cargus: a day).
LIFETIMES = {
    "sameday": timedelta(minutes=50),
    "fan_courier": timedelta(hours=12),
    "cargus": timedelta(hours=20),
}


def _key(shop_id: int, courier: str) -> str:
    return f"storeflow:courier-token:{shop_id}:{courier}"


def cached(shop_id: int, courier: str) -> str | None:
    """The token an earlier job got, while it lasts."""
    if courier not in LIFETIMES:
        return None
    try:
        stored = redis_connection().get(_key(shop_id, courier))
        raw = stored if isinstance(stored, bytes) else str(stored or "").encode()
        token = decrypt_json(raw).get("token") if raw else None
    except (CredentialsError, ValueError):
        return None  # keys rotated away or a stray value: log in again
    except Exception:  # Redis down: log in, as without a cache
        log.warning("courier token not read", extra=log_fields(shop=shop_id), exc_info=True)
        return None
    return str(token) if token else None


def keep(shop_id: int, courier: str, token: str) -> None:
    """Keep a token the courier just gave, for less than it lives."""
    ttl = int(LIFETIMES[courier].total_seconds())
    try:
        redis_connection().set(_key(shop_id, courier), encrypt_json({"token": token}), ex=ttl)
    except Exception:  # Redis down: the next job logs in again, nothing else is lost
        log.warning("courier token not kept", extra=log_fields(shop=shop_id), exc_info=True)


def remember(shop_id: int, courier: str, adapter: Courier) -> None:
    """Keep each token the adapter logs in for, for the next job of this shop and courier."""
    if courier in LIFETIMES and isinstance(adapter, LogsIn):
        adapter.on_login = lambda token: keep(shop_id, courier, token)
