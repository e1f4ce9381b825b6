"""The two WSGI apps ``ingest.py`` serves with gunicorn: Storeflow itself, and a bare Flask
endpoint at the same URL that reads the body and answers our 200 without checking or storing it.

``STOREFLOW_BENCH_INGEST_DB`` names the scratch database; Redis is the benchmarks' own.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from scratch import REDIS_URL

from app import create_app
from app.config import config_for_tests


def storeflow() -> Flask:
    return create_app(config_for_tests(os.environ["STOREFLOW_BENCH_INGEST_DB"], REDIS_URL))


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
