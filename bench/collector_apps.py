"""The WSGI apps the ingest benchmarks serve with gunicorn.

``bare()``: the baseline, a Flask app that does the least each endpoint must do and nothing of
ours: ``POST /webhooks/<platform>`` reads the raw body and answers 200 with the same JSON shape
as ours; ``POST /collect/<platform>`` parses the JSON body and answers 204.

``storeflow()``: Storeflow's collector with its rate limits lifted, for ``collector.py``'s
one-worker run (it measures throughput, not the limits). ``bench/ingest.py`` serves the real
``app:create_app()`` instead, exactly as the Procfile does; ``without_enqueue()`` the same
without the RQ job per webhook delivery. ``STOREFLOW_BENCH_COLLECT_DB`` and
the benchmarks' own Redis (``STOREFLOW_BENCH_REDIS_URL``) name the scratch database and Redis.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, jsonify, request
from scratch import REDIS_URL

from app import create_app
from app.config import DEFAULT_COLLECT_FLUSH_MS, config_for_tests
from app.web import collect, webhooks


def storeflow() -> Flask:
    collect.VISITOR_LIMIT = collect.SHOP_LIMIT = 10**9
    # The write-behind as production has it (the tests' configuration writes in the request).
    config = config_for_tests(os.environ["STOREFLOW_BENCH_COLLECT_DB"], REDIS_URL)
    return create_app({**config, "COLLECT_FLUSH_MS": DEFAULT_COLLECT_FLUSH_MS})


def without_enqueue() -> Flask:
    """Storeflow exactly as the Procfile serves it, except that a stored webhook delivery wakes
    no drain (``wake_soon``, a Redis SET from a thread of the process every 50 ms): what the
    wake-up costs the web process, measured by ``ingest_wrk.py --no-rq``."""
    webhooks.wake_soon = _not_enqueued
    return create_app()


def _not_enqueued(delivery_id: int) -> bool:
    return True


def bare() -> Flask:
    app = Flask("bare")

    @app.post("/collect/<platform>")
    def collect_events(platform: str) -> Response:
        json.loads(request.get_data())
        return Response(status=204)

    @app.post("/webhooks/<platform>")
    def receive(platform: str) -> tuple[Response, int]:
        request.get_data()
        return jsonify({"status": 200, "message": "received"}), 200

    return app
