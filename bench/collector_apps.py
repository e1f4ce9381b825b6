"""The two WSGI apps ``collector.py`` serves with gunicorn: Storeflow itself, and a bare Flask
endpoint that reads the same JSON body and answers 204 without checking or storing anything.

``STOREFLOW_BENCH_COLLECT_DB`` names the scratch database; Redis is the benchmarks' own. The
rate limits are lifted for the run (it measures throughput, not the limits): one shop receives
everything.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request
from scratch import REDIS_URL

from app import create_app
from app.config import config_for_tests
from app.web import collect


def storeflow() -> Flask:
    collect.VISITOR_LIMIT = collect.SHOP_LIMIT = 10**9
    return create_app(config_for_tests(os.environ["STOREFLOW_BENCH_COLLECT_DB"], REDIS_URL))


def bare() -> Flask:
    app = Flask("bare")

    @app.post("/collect/<platform>")
    def receive(platform: str) -> Response:
        json.loads(request.get_data())
        return Response(status=204)

    return app
