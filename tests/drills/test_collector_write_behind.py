"""The collector's write-behind in real web processes (``app/pipeline/view_buffer.py``): a
gunicorn stopped the way a deploy stops it (SIGTERM) writes every storefront batch it answered
204 and still held, before its workers exit."""

from __future__ import annotations

import signal

import requests
import sqlalchemy as sa

from app.models import Shop, StorefrontEvent, db, utcnow
from app.pipeline.storefront import ensure_collect_key
from tests.drills.conftest import Processes, scalar, wait_for
from tests.support.emails import _free_port

BATCHES = 20


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_gunicorn_stopped_by_sigterm_writes_every_batch_it_answered_and_held(
    shop: Shop, processes: Processes
):
    key = ensure_collect_key(shop)
    db.session.commit()
    # An hour between timed writes: whatever is stored was written by the workers' exit.
    processes.env["STOREFLOW_COLLECT_FLUSH_MS"] = "3600000"
    port = _free_port()
    web = processes.web(port)
    base = f"http://127.0.0.1:{port}"
    wait_for("the web process to answer", lambda: _healthy(base), processes)

    session = requests.Session()
    answers = []
    for n in range(BATCHES):
        batch = {
            "shop": shop.domain,
            "key": key,
            "visitor": f"visitor-{n:04d}",
            "events": [{"type": "search_submitted", "query": f"q{n}", "at": utcnow().isoformat()}],
        }
        response = session.post(
            f"{base}/collect/demo", json=batch, headers={"Origin": f"https://{shop.domain}"}
        )
        answers.append(response.status_code)
    assert answers == [204] * BATCHES
    count = sa.select(sa.func.count()).select_from(StorefrontEvent)
    assert scalar(count) == 0  # held, not written yet

    web.send_signal(signal.SIGTERM)
    assert web.wait(timeout=60) == 0
    assert scalar(count) == BATCHES
    details = sa.select(StorefrontEvent.detail).order_by(StorefrontEvent.detail)
    with db.engine.connect() as conn:
        assert [row[0] for row in conn.execute(details)] == sorted(f"q{n}" for n in range(BATCHES))
