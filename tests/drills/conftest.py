"""Drills: real processes (``rq worker``, ``rq cron`` and ``gunicorn`` as the Procfile runs
them) against the test database and Redis, mail to a real SMTP server that records every
Message-ID it takes, and a TCP proxy in front of PostgreSQL that a drill can cut
(``CuttableProxy``: the database gone for the processes behind it, not for anyone else).

``make test`` runs them at a small size; ``make drills`` sets ``STOREFLOW_DRILL_SIZE=full``
for the sizes the drills were first run at (issue 18). The clock is the real one: where a
drill needs minutes to pass (a lease, a retry's backoff), it moves those deadlines in the
database, as the minutes would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.config import DEFAULT_COLLECT_FLUSH_MS, DEFAULT_DELIVERY_WAKE_MS
from app.flows import abandoned_cart
from app.flows.engine.settings import save_settings
from app.models import FlowRun, Message, Shop, db, utcnow
from tests.backends import Backends
from tests.support.emails import _free_port
from tests.support.flows import cart_payload

FULL = os.environ.get("STOREFLOW_DRILL_SIZE", "small") == "full"
BIN = Path(sys.executable).parent


def sized(small: int, full: int) -> int:
    return full if FULL else small


@dataclass
class Arrival:
    message_id: str
    to: str
    at: float  # time.time() when the server answered 250


@dataclass
class RecordingHandler:
    """An SMTP server's mind: takes mail and records each Message-ID, and on request answers
    an error for a while, or holds a session at RCPT or after DATA's final dot."""

    arrivals: list[Arrival] = field(default_factory=list)
    rcpt_calls: int = 0
    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted for delivery"
    # Until this time.time(), RCPT is answered with ``outage_reply``.
    outage_until: float = 0.0
    outage_reply: str = "421 4.3.2 Service not available, try later"
    # Where each new session is held, in order ("rcpt" or "data"); consumed one per session.
    holds: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0  # seconds before answering each DATA
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            session.hold = self.holds.pop(0) if self.holds else None
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_calls += 1
        if getattr(session, "hold", None) == "rcpt":
            await self._hold("rcpt")
        if time.time() < self.outage_until:
            return self.outage_reply
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # Like a real MTA, the message is queued for delivery before the "250" goes out: a
        # client that dies waiting for the answer has been delivered all the same.
        if self.data_reply.startswith("250"):
            mail = message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[arg-type]
            with self.lock:
                self.arrivals.append(Arrival(str(mail["Message-ID"]), str(mail["To"]), time.time()))
        if getattr(session, "hold", None) == "data":
            await self._hold("data")  # the final dot is in; the client waits for our answer
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.data_reply

    async def _hold(self, where: str) -> None:
        with self.lock:
            self.held.append(where)
        while not self.release.is_set():
            await asyncio.sleep(0.02)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [arrival.message_id for arrival in self.arrivals]


@dataclass
class DrillMail:
    host: str
    port: int
    handler: RecordingHandler

    @property
    def url(self) -> str:
        # A held session must outlast the drill's kill; a real server answers long before.
        return f"smtp://{self.host}:{self.port}?starttls=0&timeout=30"


@pytest.fixture(scope="session")
def _drill_mail_server() -> Iterator[DrillMail]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield DrillMail(controller.hostname, controller.port, handler)
    finally:
        handler.release.set()
        controller.stop()


@pytest.fixture()
def drill_mail(_drill_mail_server: DrillMail) -> Iterator[DrillMail]:
    """The drills' SMTP server, with a clean record and no errors or holds set."""
    _drill_mail_server.handler.reset()
    yield _drill_mail_server
    _drill_mail_server.handler.release.set()


class Processes:
    """``rq worker`` / ``rq cron`` / ``gunicorn`` processes as the Procfile starts them; the
    ones still running when the drill ends are stopped (only these: each by its own pid).
    A drill may point ``env["STOREFLOW_DATABASE_URL"]`` elsewhere (a proxy) before starting."""

    def __init__(self, backends: Backends, mail_url: str, logs: Path) -> None:
        self.env = {
            **os.environ,
            "STOREFLOW_ENV": "test",
            "STOREFLOW_DATABASE_URL": backends.database_url,
            "STOREFLOW_REDIS_URL": backends.redis_url,
            "STOREFLOW_PUBLIC_URL": "http://storeflow.test",
            "STOREFLOW_MAIL_URL": mail_url,
            # The collector's write-behind and the deferred drain wake-up as production has
            # them (the tests' own app writes each batch and wakes a drain in the request).
            "STOREFLOW_COLLECT_FLUSH_MS": str(DEFAULT_COLLECT_FLUSH_MS),
            "STOREFLOW_DELIVERY_WAKE_MS": str(DEFAULT_DELIVERY_WAKE_MS),
        }
        self.redis_url = backends.redis_url
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []
        self.webs: list[subprocess.Popen[bytes]] = []

    def worker(self, *queues: str, scheduler: bool = False) -> subprocess.Popen[bytes]:
        """``scheduler``: with ``--with-scheduler``, as the Procfile runs it, so a job's RQ
        retries come due in this worker (the other drills move deadlines themselves)."""
        return self._start(
            "worker",
            "rq",
            [
                "worker",
                *(["--with-scheduler"] if scheduler else []),
                "--url",
                self.redis_url,
                "-c",
                "app.pipeline.worker_settings",
                "--worker-class",
                "rq.worker.SimpleWorker",
                *(queues or ("events", "flows", "sync", "labels")),
            ],
        )

    def cron(self) -> subprocess.Popen[bytes]:
        return self._start("cron", "rq", ["cron", "--url", self.redis_url, "app/pipeline/cron.py"])

    def web(self, port: int) -> subprocess.Popen[bytes]:
        """The Procfile's ``web`` line on a local port (its two sync workers, its timeout)."""
        args = ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"]
        process = self._start("web", "gunicorn", [*args, "app:create_app()"])
        self.webs.append(process)
        return process

    def _start(self, kind: str, program: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{kind}-{len(self.running)}.log", "wb")  # noqa: SIM115
        # A group of its own: a kill reaches what it forked too (the worker's RQ scheduler,
        # gunicorn's workers), and nothing else.
        process = subprocess.Popen(
            [str(BIN / program), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no handler runs, no job is finished or marked failed."""
        _kill_group(process)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None and process in self.webs:
                # gunicorn's quick shutdown: the master stops its own workers, then exits.
                process.send_signal(signal.SIGINT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=10)
            _kill_group(process)  # what is left of it, and anything it forked
        self.running.clear()
        self.webs.clear()

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process's own group (``start_new_session``): it and its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture()
def processes(
    app: Any, backends: Backends, drill_mail: DrillMail, tmp_path: Path
) -> Iterator[Processes]:
    if not backends.is_postgres:
        pytest.skip("drills run worker processes against a shared PostgreSQL")
    started = Processes(backends, drill_mail.url, tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture(scope="module")
def steady_worker(
    _app: Any,
    backends: Backends,
    _drill_mail_server: DrillMail,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Processes]:
    """One worker for a module's drills that kill no process: booting one costs seconds.
    Each drill still gets an empty database and Redis; the worker simply goes on polling."""
    if not backends.is_postgres:
        pytest.skip("drills run worker processes against a shared PostgreSQL")
    started = Processes(backends, _drill_mail_server.url, tmp_path_factory.mktemp("steady"))
    started.worker()
    try:
        yield started
    finally:
        started.stop_all()


def wait_for(
    what: str, done: Callable[[], bool], processes: Processes, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}\n{processes.log_tail()}")
        time.sleep(0.1)


def scalar(statement: Any) -> Any:
    """A read of what the workers committed, outside the test's session."""
    with db.engine.connect() as conn:
        return conn.execute(statement).scalar()


def count_messages(*statuses: str) -> int:
    stmt = sa.select(sa.func.count()).select_from(Message)
    if statuses:
        stmt = stmt.where(Message.status.in_(statuses))
    return int(scalar(stmt))


def minutes_pass(minutes: float) -> None:
    """What ``minutes`` of waiting would do to the deadlines the drills meet: run leases and
    "sending" windows lapse, retries' backoffs and due steps come due."""
    delta = timedelta(minutes=minutes)
    db.session.rollback()
    for run in db.session.scalars(sa.select(FlowRun).where(FlowRun.state == "active")):
        if run.lease_until is not None:
            run.lease_until -= delta
        if run.next_step_at is not None:
            run.next_step_at -= delta
    for message in db.session.scalars(sa.select(Message).where(Message.status == "sending")):
        until = message.meta.get("sending_until")
        if until:
            moved = datetime.fromisoformat(until) - delta
            message.meta = {**message.meta, "sending_until": moved.isoformat()}
    db.session.commit()


@pytest.fixture()
def drill_shop(shop: Shop) -> Shop:
    """The test shop with the abandoned-cart flow on, no holdout group and no quiet hours
    (drills run on the real clock, at any hour)."""
    shop.settings = {
        "address": "ul. Mokotowska 1, 00-640 Warszawa",
        "sender_email": "hello@shop.example",
    }
    values = {"quiet_hours_enabled": False, "holdout_percent": 0}  # every shopper is mailed
    save_settings(shop.id, abandoned_cart.FLOW, values, enabled=True)
    db.session.commit()
    return shop


@pytest.fixture()
def abandon_carts(post_demo_webhook: Callable[..., Any]) -> Callable[..., list[str]]:
    """Shoppers leave carts whose first reminder is already due; returns their addresses."""

    def abandon(count: int, *, first: int = 0, minutes_ago: int = 70) -> list[str]:
        at = utcnow() - timedelta(minutes=minutes_ago)
        shoppers = []
        for n in range(first, first + count):
            address = f"shopper{n}@example.com"
            payload = cart_payload(f"c-{n}", email_address=address, at=at)
            response = post_demo_webhook("cart/updated", payload, delivery_id=f"cart-{n}")
            assert response.status_code == 200
            shoppers.append(address)
        return shoppers

    return abandon


def enrolled(count: int) -> Callable[[], bool]:
    stmt = sa.select(sa.func.count()).select_from(FlowRun).where(FlowRun.state == "active")
    return lambda: int(scalar(stmt)) >= count
