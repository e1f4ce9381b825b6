"""The connect views: read the plugin's and WooCommerce's requests, answer in JSON.

What connecting does (nonce, pending secret, keys, the setup job) lives in
``app/connectors/woocommerce/connect.py``; these views only parse and respond.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from app import safe_json
from app.connectors.woocommerce import PLATFORM as WOOCOMMERCE
from app.connectors.woocommerce import connect
from app.connectors.woocommerce.client import StoreAddressError, store_domain
from app.connectors.woocommerce.connect import ConnectError
from app.models import db
from app.web.rate_limit import over_limit

bp = Blueprint("woocommerce_connect", __name__)
log = logging.getLogger(__name__)


# Both endpoints answer anyone: a few tries per caller, and per store, are all Connect needs.
START_LIMITS = (("ip", 20), ("store", 10))
CALLBACK_LIMIT = 30
WINDOW_SECONDS = 600


def _fail(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _too_many(retry_after: int) -> tuple[Response, int]:
    response, status = _fail(429, "too many connect requests; try again in a few minutes")
    response.headers["Retry-After"] = str(retry_after)
    return response, status


def _limited(name: str, key: str, limit: int) -> int | None:
    return over_limit(f"woo-{name}", key, limit=limit, window=WINDOW_SECONDS)


def _json_body() -> dict[str, Any]:
    try:
        data = safe_json.loads(request.get_data(cache=True))
    except safe_json.MalformedJSON:
        data = None
    if not isinstance(data, dict):
        raise ConnectError("body must be a JSON object")
    return data


def _fields(data: dict[str, Any], *names: str) -> list[str]:
    missing = [n for n in names if not isinstance(data.get(n), str | int) or data.get(n) == ""]
    if missing:
        raise ConnectError(f"missing fields: {', '.join(missing)}")
    return [str(data[n]) for n in names]


@bp.post("/connect/woocommerce/start")
def start() -> tuple[Response, int]:
    try:
        fields = _fields(_json_body(), "store_url", "shared_secret", "return_url")
        keys = {"ip": request.remote_addr or "-", "store": store_domain(fields[0])}
        for name, limit in START_LIMITS:
            retry_after = _limited(f"start-{name}", keys[name], limit)
            if retry_after is not None:
                return _too_many(retry_after)
        authorize_url = connect.start(*fields)
    except (ConnectError, StoreAddressError) as exc:
        return _fail(400, str(exc))
    return jsonify({"authorize_url": authorize_url}), 200


@bp.post("/connect/woocommerce/callback")
def callback() -> tuple[Response, int]:
    retry_after = _limited("callback-ip", request.remote_addr or "-", CALLBACK_LIMIT)
    if retry_after is not None:
        return _too_many(retry_after)
    try:
        data = _json_body()
        user_id, key, key_secret = _fields(data, "user_id", "consumer_key", "consumer_secret")
        if data.get("key_permissions") != "read_write":
            raise ConnectError("key_permissions must be read_write")
        shop = connect.shop_for_nonce(user_id)
    except ConnectError as exc:
        log.warning("woocommerce connect callback refused: %s", exc)
        return _fail(400, str(exc))
    credentials = {"consumer_key": key, "consumer_secret": key_secret, "key_id": data.get("key_id")}
    WOOCOMMERCE.connect(shop, credentials)
    db.session.commit()
    # Keys are proven against the store in a job; until then nothing of the shop has changed.
    return jsonify({"status": "received"}), 200
