"""PostgreSQL cut during ingest (issue 18): nothing acknowledged is lost, and the processes
recover without a restart.

A real ``gunicorn`` web process, as the Procfile runs it, and a real ``rq worker`` (with its
scheduler, as the Procfile runs it) reach PostgreSQL through a proxy the drill controls
(``CuttableProxy``): cutting it is the database gone for them, while the machine's own server,
which other tests share, stays up. Clients post signed webhook deliveries and storefront
batches throughout; the proxy is cut for ``OUTAGE`` seconds (30 at full size) and restored.
A client retries a delivery answered 503 (sooner than the ``Retry-After`` it is given, to keep
the drill short) until it is answered 200, as Shopify and WooCommerce do.

A delivery committed just as the cut closed the connection is answered 503, and its retry
"duplicate" (stored once); nothing queued its job, so the minute tick does (cron's, run by the
drill as a few minutes on would run it).

The collector runs its write-behind as production does (``app/pipeline/view_buffer.py``): a
storefront batch is answered 204 through the outage too, held by the web process, and written
when the database is back. It has no id to deduplicate on: a write whose COMMIT reached the
server just as the cut closed the connection is written again, so the batches of that one
write (a fifth of a second of them) may be stored twice; every batch answered 204 is stored.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app

from app.models import Cart, Shop, StorefrontEvent, WebhookDelivery, db, utcnow
from app.pipeline.periodic import minute_tick
from app.pipeline.storefront import ensure_collect_key
from tests.conftest import sign
from tests.drills.conftest import Processes, scalar, sized, wait_for
from tests.support.database import CuttableProxy
from tests.support.emails import _free_port
from tests.support.flows import cart_payload

OUTAGE = sized(4, 30)  # seconds the proxy stays cut
BEFORE = AFTER = sized(10, 100)  # deliveries answered 200 before the cut, and after it
RETRY_PAUSE = 0.2  # a client's wait after a 503 (the drill's stand-in for Retry-After)
PACE = 0.02  # a client's pause between two new deliveries
ORIGIN = "https://shop.example"
OK = {200, 204}
Poster = Callable[[requests.Session, str], requests.Response]


@dataclass
class Answer:
    key: str  # the delivery id, or the batch's tag
    status: int  # 0: no HTTP answer at all (connection refused, reset, timed out)
    retry_after: str | None
    sent: float  # time.monotonic() when the request went out
    answered: float


@dataclass
class Client:
    """Posts one new delivery after another, each until it is answered 200/204 (503: again
    after ``retry_pause``; any other answer ends it). ``stop`` ends the new ones only."""

    name: str
    post: Poster
    stop: threading.Event
    retry_pause: float = RETRY_PAUSE
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        session = requests.Session()
        number = 0
        while not self.stop.is_set():
            key = f"{self.name}-{number:05d}"
            number += 1
            deadline = time.monotonic() + OUTAGE + 60
            while time.monotonic() < deadline:
                answer = self._send(session, key)
                if answer.status != 503:
                    break
                time.sleep(self.retry_pause)
            time.sleep(PACE)

    def _send(self, session: requests.Session, key: str) -> Answer:
        sent = time.monotonic()
        try:
            response = self.post(session, key)
            status, retry_after = response.status_code, response.headers.get("Retry-After")
        except requests.RequestException:
            status, retry_after = 0, None
        answer = Answer(key, status, retry_after, sent, time.monotonic())
        with self.lock:
            self.answers.append(answer)
        return answer

    def snapshot(self) -> list[Answer]:
        with self.lock:
            return list(self.answers)

    def keys(self) -> set[str]:
        return {answer.key for answer in self.snapshot()}

    def acknowledged(self) -> set[str]:
        return {answer.key for answer in self.snapshot() if answer.status in OK}

    def acknowledged_since(self, since: float) -> int:
        return sum(a.status in OK and a.sent >= since for a in self.snapshot())


def _webhook_poster(base: str, domain: str) -> Poster:
    def post(session: requests.Session, key: str) -> requests.Response:
        payload = cart_payload(f"cart-{key}", email_address=f"{key}@example.com", at=utcnow())
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Demo-Shop": domain,
            "X-Demo-Topic": "cart/updated",
            "X-Demo-Delivery-Id": key,
            "X-Demo-Hmac-Sha256": sign("s3cret", body),
        }
        return session.post(f"{base}/webhooks/demo", data=body, headers=headers, timeout=40)

    return post


def _collector_poster(base: str, shop: Shop) -> Poster:
    key, domain = ensure_collect_key(shop), shop.domain
    db.session.commit()

    def post(session: requests.Session, tag: str) -> requests.Response:
        batch = {
            "shop": domain,
            "key": key,
            "visitor": f"visitor-{tag}",  # one visitor a batch: the per-visitor limit stays far
            "events": [{"type": "search_submitted", "query": tag, "at": utcnow().isoformat()}],
        }
        headers = {"Origin": ORIGIN}
        return session.post(f"{base}/collect/demo", json=batch, headers=headers, timeout=40)

    return post


def _healthy(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _children(pid: int) -> set[int]:
    """The gunicorn master's worker processes: the same ones after the outage, none restarted."""
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _stored_counts(column: Any, model: Any) -> Counter[str]:
    statement = sa.select(column, sa.func.count()).select_from(model).group_by(column)
    with db.engine.connect() as conn:
        return Counter({str(key): int(n) for key, n in conn.execute(statement)})


def test_postgres_cut_mid_ingest_webhooks_get_503_views_are_held_and_all_acknowledged_is_stored(
    shop: Shop, processes: Processes, pg_proxy: CuttableProxy, backends: Any
):
    processes.env["STOREFLOW_DATABASE_URL"] = pg_proxy.url(backends.database_url)
    port = _free_port()
    web = processes.web(port)
    worker = processes.worker("events", scheduler=True)
    base = f"http://127.0.0.1:{port}"
    wait_for("the web process to answer", lambda: _healthy(base), processes)
    web_workers = _children(web.pid)
    assert len(web_workers) == 2

    stop = threading.Event()
    hooks = [Client(f"hook{n}", _webhook_poster(base, shop.domain), stop) for n in range(2)]
    # A batch is retried by one visitor: slower, under the collector's 120 a minute per visitor.
    batches = Client("batch", _collector_poster(base, shop), stop, retry_pause=0.6)
    clients = [*hooks, batches]
    threads = [threading.Thread(target=client.run, daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    try:
        started = time.monotonic()
        wait_for(
            "deliveries before the cut",
            lambda: all(c.acknowledged_since(started) >= BEFORE // 2 for c in clients),
            processes,
        )
        cut_at = time.monotonic()
        pg_proxy.cut()
        time.sleep(OUTAGE)
        pg_proxy.restore()
        back_at = time.monotonic()
        wait_for(
            "deliveries after the outage",
            lambda: all(c.acknowledged_since(back_at) >= AFTER // 2 for c in clients),
            processes,
            timeout=30,
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=OUTAGE + 70)
    assert not any(thread.is_alive() for thread in threads)
    answers = [answer for client in clients for answer in client.snapshot()]

    # Only 200/204 or 503 with Retry-After: never a 500, never a dropped connection.
    assert Counter(a.status for a in answers).keys() <= {200, 204, 503}
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable and all(a.retry_after and int(a.retry_after) > 0 for a in unavailable)
    # Asked while the database was away: webhooks 503 each time (a platform retries), and
    # storefront batches 204 (held: a browser's beacon is never retried) by a web worker that
    # had met the shop before the cut; one that had not cannot check the key: 503.
    during = [a for a in answers if a.sent >= cut_at and a.answered <= back_at]
    hooks_during = [a for a in during if a.key.startswith("hook")]
    batches_during = [a for a in during if a.key.startswith("batch")]
    assert {a.key.split("-")[0] for a in hooks_during} == {"hook0", "hook1"}
    assert all(a.status == 503 for a in hooks_during)
    assert any(a.status == 204 for a in batches_during)
    assert all(a.status in (204, 503) for a in batches_during)
    assert pg_proxy.refused > 0  # the processes did try to reconnect while it was cut
    # After the outage, every delivery a client kept retrying was answered at last.
    for client in clients:
        assert client.acknowledged() == client.keys(), client.name
    retried = {a.key for a in unavailable}
    assert retried & set().union(*(client.acknowledged() for client in clients))

    # Every delivery answered 200 is stored exactly once, the retried ones included.
    delivered = set().union(*(hook.acknowledged() for hook in hooks))
    stored = _stored_counts(WebhookDelivery.delivery_id, WebhookDelivery)
    assert set(stored) == delivered and set(stored.values()) == {1}
    assert retried & delivered
    # Every batch answered 204 is stored, the ones held through the outage included, once the
    # web processes have written what they held (their retries back off up to 5 s).
    wait_for(
        "the batches held through the outage written",
        lambda: (
            set(_stored_counts(StorefrontEvent.detail, StorefrontEvent)) == batches.acknowledged()
        ),
        processes,
        timeout=30,
    )
    tags = _stored_counts(StorefrontEvent.detail, StorefrontEvent)
    assert {a.key for a in batches_during} <= set(tags)
    # Twice only for the batches of one write caught between its COMMIT and the reply: all
    # answered within a second of each other.
    twice = {tag for tag, n in tags.items() if n > 1}
    assert max(tags.values()) <= 2
    times = [a.answered for a in batches.snapshot() if a.key in twice and a.status == 204]
    assert not twice or max(times) - min(times) < 1.0

    # The same worker process, reconnected, processes every stored delivery: one cart each.
    # A delivery committed just as the cut closed the connection was answered 503 and its
    # retry "duplicate", so nothing queued it: the minute tick does, once it has waited
    # STUCK_DELIVERY_SECONDS (cron's tick, run here that long on).
    stuck = timedelta(seconds=current_app.config["STUCK_DELIVERY_SECONDS"] + 1)
    minute_tick(utcnow() + stuck)
    unprocessed = sa.select(sa.func.count()).where(WebhookDelivery.status != "processed")
    wait_for(
        "every delivery processed",
        lambda: scalar(unprocessed.select_from(WebhookDelivery)) == 0,
        processes,
        timeout=OUTAGE + 90,
    )
    assert scalar(sa.select(sa.func.count()).select_from(Cart)) == len(delivered)
    # Nobody was restarted: the web master, its two workers and the rq worker are the ones
    # started before the cut.
    assert web.poll() is None and worker.poll() is None
    assert _children(web.pid) == web_workers
    assert _healthy(base)
