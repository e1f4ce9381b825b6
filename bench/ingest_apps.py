"""The two WSGI apps ``ingest.py`` serves with gunicorn: Storeflow itself, and a bare Flask
endpoint at the same URL that reads the body and answers our 200 without checking or storing it.

``STOREFLOW_BENCH_INGEST_DB`` names the scratch database; Redis is the benchmarks' own.
Storeflow runs with production's timings, not the test-suite's: a web process wakes the drain
from its own thread at most every ``DELIVERY_WAKE_MS`` and writes tracked views every
``COLLECT_FLUSH_MS`` (the tests set both to 0, which puts a Redis round trip in every request).
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from scratch import REDIS_URL

from app import create_app
from app.config import DEFAULT_COLLECT_FLUSH_MS, DEFAULT_DELIVERY_WAKE_MS, config_for_tests


def storeflow() -> Flask:
    return create_app(
        config_for_tests(
            os.environ["STOREFLOW_BENCH_INGEST_DB"],
            REDIS_URL,
            DELIVERY_WAKE_MS=DEFAULT_DELIVERY_WAKE_MS,
            COLLECT_FLUSH_MS=DEFAULT_COLLECT_FLUSH_MS,
        )
    )


def bare() -> Flask:
    app = Flask("bare")

    @app.post("/webhooks/<platform>")
    def receive(platform: str) -> Response:
        request.get_data()
        return Response(
            b'{"message":"received","status":200}\n', status=200, mimetype="application/json"
        )

    @app.get("/")
    def home() -> str:
        return "bare"

    return app
