"""The lean WSGI path in front of Flask for ``POST /webhooks/<platform>`` and
``POST /collect/<platform>`` (``app/web/fastpath.py``): it answers the plain requests without
Flask's request machinery, answers them exactly as the Flask views do, and leaves everything
else to Flask."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request, request_started
from redis import Redis
from rq import Queue
from werkzeug.test import Client

from app import create_app
from app.config import config_for_tests
from app.models import Shop, StorefrontEvent, WebhookDelivery, db, utcnow
from app.pipeline.storefront import ensure_collect_key
from app.web.fastpath import FastPath
from tests.conftest import sign
from tests.support.database import drop_pooled_connections

ORIGIN = "https://shop.example"


@pytest.fixture()
def flask_dispatches(app: Flask) -> Iterator[list[str]]:
    """The paths Flask's own request handling ran for (its ``request_started`` signal)."""
    seen: list[str] = []

    def note(sender: Flask, **_: Any) -> None:
        seen.append(request.path)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


@pytest.fixture()
def tracked_shop(shop: Shop) -> Shop:
    ensure_collect_key(shop)
    db.session.commit()
    return shop


def _demo_headers(shop: Shop, body: bytes, delivery_id: str, secret: str = "s3cret") -> dict:
    return {
        "Content-Type": "application/json",
        "X-Demo-Shop": shop.domain,
        "X-Demo-Topic": "cart/updated",
        "X-Demo-Delivery-Id": delivery_id,
        "X-Demo-Hmac-Sha256": sign(secret, body),
    }


def _batch(shop: Shop, visitor: str = "v-0123456789abcdef") -> bytes:
    event = {"type": "product_viewed", "product_id": "101", "at": utcnow().isoformat()}
    body = {
        "shop": shop.domain,
        "key": shop.storefront_tracking.collect_key,
        "visitor": visitor,
        "events": [event],
    }
    return json.dumps(body).encode()


def test_a_delivery_is_stored_and_enqueued_without_flasks_request_handling(
    client, shop, flask_dispatches, redis_conn: Redis
):
    body = json.dumps({"cart_key": "c-1"}).encode()

    response = client.post("/webhooks/demo", data=body, headers=_demo_headers(shop, body, "d-1"))

    assert response.status_code == 200
    assert response.get_json() == {"status": 200, "message": "received"}
    assert db.session.scalars(sa.select(WebhookDelivery.delivery_id)).all() == ["d-1"]
    assert Queue("events", connection=redis_conn).count == 1
    assert flask_dispatches == []
    # The signal is heard: a route the lean path does not serve goes through Flask.
    assert client.get("/healthz").status_code == 200
    assert flask_dispatches == ["/healthz"]


def test_a_batch_is_stored_and_answered_with_cors_without_flasks_request_handling(
    client, tracked_shop, flask_dispatches
):
    response = client.post("/collect/demo", data=_batch(tracked_shop), headers={"Origin": ORIGIN})

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Vary"] == "Origin"
    assert response.get_data() == b""
    assert len(db.session.scalars(sa.select(StorefrontEvent)).all()) == 1
    assert flask_dispatches == []


@pytest.mark.parametrize(
    ("case", "secret", "raw"),
    [
        ("received", "s3cret", b'{"cart_key": "c-1"}'),
        ("bad signature", "wrong", b'{"cart_key": "c-1"}'),
        ("malformed body", "s3cret", b'{"cart_key": '),
        ("hostile nesting", "s3cret", b"[" * 10_000 + b"]" * 10_000),
    ],
)
def test_the_lean_answer_is_the_one_the_flask_view_sends(app, shop, case, secret, raw):
    """The same request answered by the lean path and by Flask alone (the app's own WSGI
    callable behind it): the same status, headers that matter, and bytes."""
    fast = Client(app.wsgi_app)
    assert isinstance(app.wsgi_app, FastPath)
    flask_only = Client(app.wsgi_app.flask_wsgi)
    answers = []
    for n, wsgi in enumerate((fast, flask_only)):
        headers = _demo_headers(shop, raw, f"{case}-{n}", secret)
        answers.append(wsgi.post("/webhooks/demo", data=raw, headers=headers))
    lean, flask = answers
    assert lean.status == flask.status
    assert lean.get_data() == flask.get_data()
    assert lean.mimetype == flask.mimetype == "application/json"
    # Both paths stored the delivery (or refused it) alike.
    rows = db.session.scalars(sa.select(WebhookDelivery.status)).all()
    assert len(rows) == (0 if case == "bad signature" else 2)
    assert len(set(rows)) <= 1


def test_a_duplicate_delivery_through_the_lean_path_is_stored_once_and_enqueued_once(
    client, shop, redis_conn: Redis
):
    body = b'{"cart_key": "c-1"}'
    first = client.post("/webhooks/demo", data=body, headers=_demo_headers(shop, body, "d-1"))
    again = client.post("/webhooks/demo", data=body, headers=_demo_headers(shop, body, "d-1"))

    assert first.get_json()["message"] == "received"
    assert again.status_code == 200 and again.get_json()["message"] == "duplicate"
    assert len(db.session.scalars(sa.select(WebhookDelivery)).all()) == 1
    assert Queue("events", connection=redis_conn).count == 1


def test_a_delivery_without_content_length_is_left_to_flask_and_stored(
    client, shop, flask_dispatches
):
    """Chunked: no length up front. Flask (werkzeug) reads it; the answer is the same."""
    body = b'{"cart_key": "c-1"}'
    response = client.post(
        "/webhooks/demo",
        input_stream=io.BytesIO(body),
        headers=_demo_headers(shop, body, "d-chunked"),
        # No length up front, as a chunked request arrives from gunicorn.
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )

    assert response.status_code == 200, response.get_json()
    assert db.session.scalars(sa.select(WebhookDelivery.delivery_id)).all() == ["d-chunked"]
    assert flask_dispatches == ["/webhooks/demo"]


def test_a_body_shorter_than_its_declared_length_is_a_400_from_flask(
    client, shop, flask_dispatches
):
    body = b'{"cart_key": "c-1"}'
    response = client.post(
        "/webhooks/demo",
        input_stream=io.BytesIO(body[:5]),
        headers=_demo_headers(shop, body, "d-short"),
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )

    assert response.status_code == 400
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []
    assert flask_dispatches == ["/webhooks/demo"]


def test_an_unknown_platform_and_an_oversized_batch_are_left_to_flask(
    client, tracked_shop, flask_dispatches
):
    assert client.post("/webhooks/nowhere", data=b"{}").status_code == 404
    big = client.post("/collect/demo", data=b" " * (64 * 1024 + 1), headers={"Origin": ORIGIN})
    assert big.status_code == 413
    assert flask_dispatches == ["/webhooks/nowhere", "/collect/demo"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_database_down_a_batch_gets_the_503_with_retry_after_and_cors(backends):
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/storeflow_gone"
    down = create_app(config_for_tests(url, backends.redis_url))
    body = json.dumps({"shop": "demo-shop.example", "key": "k"}).encode()

    response = down.test_client().post("/collect/demo", data=body, headers={"Origin": ORIGIN})

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.get_json() == {
        "status": 503,
        "message": "database unavailable; try again later",
    }


def test_a_pooled_connection_the_server_dropped_is_replaced_and_the_batch_stored(
    client, tracked_shop, backends
):
    """The collector's raw autocommit insert (``sql.execute_committed``) sends the statement
    once more on a new connection when the pooled one was closed by the server."""
    headers = {"Origin": ORIGIN}
    first = client.post(
        "/collect/demo", data=_batch(tracked_shop, "v-first-visitor"), headers=headers
    )
    assert first.status_code == 204
    drop_pooled_connections(backends.database_url)

    again = client.post(
        "/collect/demo", data=_batch(tracked_shop, "v-second-visitor"), headers=headers
    )

    assert again.status_code == 204
    visitors = db.session.scalars(
        sa.select(StorefrontEvent.visitor_id).order_by(StorefrontEvent.id)
    ).all()
    assert visitors == ["v-first-visitor", "v-second-visitor"]


def test_a_search_with_a_nul_character_is_a_400_not_a_500(client, tracked_shop):
    """PostgreSQL text cannot hold NUL: refused with the batch's other mistakes."""
    body = json.loads(_batch(tracked_shop))
    body["events"] = [
        {"type": "search_submitted", "query": "linen\u0000shirt", "at": utcnow().isoformat()}
    ]

    response = client.post("/collect/demo", json=body, headers={"Origin": ORIGIN})

    assert response.status_code == 400
    assert "query" in response.get_json()["message"]
    assert db.session.scalars(sa.select(StorefrontEvent)).all() == []
