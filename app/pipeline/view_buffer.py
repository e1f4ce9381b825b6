"""The collector's write-behind: an anonymous storefront batch is answered 204 once it is
checked and held in this process; a thread of the web process writes what is held, every
``COLLECT_FLUSH_MS`` (200 ms), in one statement.

Why (issue 14): a gunicorn sync worker serves one request at a time, and a batch that waited
for its own INSERT and COMMIT (PostgreSQL flushing its log to disk) kept the worker waiting
longer than it worked: the collector did a fifth to a third of what a bare endpoint does on the
same worker. Written together, a fifth of a second of batches costs one statement and one
commit.

What this trades, and why it is the right trade for views (not for webhooks, which are stored
before the 200 because the platform retries until it gets one):
- A browser's beacon is never retried: a 503 while the database is down lost the view anyway.
  Held here, views outlive an outage of up to ``COLLECT_BUFFER_EVENTS`` events per process
  (then 503 as before), and are written when the database is back.
- A process that stops normally (a deploy's SIGTERM, gunicorn's max-requests restart, SIGQUIT)
  writes what it holds before it exits (``atexit``). Only a process killed outright (SIGKILL,
  out of memory) loses what it held: at most ``COLLECT_FLUSH_MS`` of views, which the browse
  scan (two views over hours) does not notice.
- A batch that claims a customer is not held: it is written before the answer, as before,
  because linking a visitor must be seen by the next request.

A held view of a visitor whose customer is erased in that fifth of a second is written
afterwards without a customer (the link is gone), as a view sent a moment after the erasure
would be; retention removes it.

``COLLECT_FLUSH_MS`` 0 (the test-suite's default) writes each batch before answering, with the
same statement. PostgreSQL only: ``make run``'s SQLite writes in the request.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from app.logs import fields as log_fields
from app.models.sql import UNREACHABLE, execute_committed

log = logging.getLogger(__name__)

EXTENSION = "storeflow_view_buffer"
# Flush before the interval when this many events are held.
FLUSH_AT = 2000
# After a failed write (the database down), wait this long before trying again, doubling.
RETRY_FIRST, RETRY_MAX = 0.5, 5.0
# How long an exiting process keeps trying to write what it holds.
EXIT_DEADLINE = 10.0

# Every held event carries its shop and visitor; the visitor's customer, if linked by then, and
# the price the page showed (the viewed variant's, if the catalog holds it for that product,
# else the product's) are read in the statement, set-based over all the events of the write.
# Events of a shop deleted since are dropped by the join; the ids follow the order the events
# came in.
_APPEND_HELD = """
INSERT INTO storefront_events
    (shop_id, visitor_id, customer_id, kind, product_id, variant_id, detail, price_seen,
     occurred_at, received_at)
SELECT e.shop_id, e.visitor_id, v.customer_id, e.kind, e.product_id, e.variant_id, e.detail,
    COALESCE(va.price, p.price), e.occurred_at, e.received_at
FROM ROWS FROM (json_to_recordset(%(events)s::json)
        AS (shop_id integer, visitor_id text, kind text, product_id text, variant_id text,
            detail text, occurred_at timestamptz, received_at timestamptz))
    WITH ORDINALITY AS e (shop_id, visitor_id, kind, product_id, variant_id, detail,
                          occurred_at, received_at, n)
JOIN shops s ON s.id = e.shop_id
LEFT JOIN storefront_visitors v ON v.shop_id = e.shop_id AND v.visitor_id = e.visitor_id
LEFT JOIN products p ON p.shop_id = e.shop_id AND p.platform_product_id = e.product_id
LEFT JOIN variants va ON va.shop_id = e.shop_id AND va.product_id = p.id
    AND va.platform_variant_id = e.variant_id AND va.price IS NOT NULL
ORDER BY e.n
"""

Events = list[dict[str, Any]]


class BufferFull(Exception):
    """This process holds as many views as it may (the database has been down a while)."""


def write(events: Sequence[dict[str, Any]]) -> None:
    """Write events now, in one statement committed on return (needs an app context)."""
    execute_committed(_APPEND_HELD, {"events": json.dumps(events)})


class ViewBuffer:
    """Batches held by one process, and the thread that writes them. Safe across ``fork``: a
    child (gunicorn's workers with ``--preload``) starts empty with a thread of its own."""

    def __init__(self, app: Flask, flush_seconds: float, capacity: int) -> None:
        self._app = app
        self._flush_seconds = flush_seconds
        self._capacity = capacity
        self._at_exit = False
        self._failing = False  # the last write found the database unreachable
        self._start_empty()

    def _start_empty(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time: the thread's or the exit's
        self._wake = threading.Condition(self._lock)
        self._batches: list[Events] = []
        self._held = 0  # events held, including those being written
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> int:
        return self._held

    def add(self, events: Events) -> None:
        """Hold one batch's events; BufferFull when there is no room for them."""
        if self._pid != os.getpid():
            self._start_empty()
        with self._lock:
            if self._held + len(events) > self._capacity:
                raise BufferFull
            self._batches.append(events)
            self._held += len(events)
            if self._thread is None:
                self._start_thread()
            if self._held >= FLUSH_AT:
                self._wake.notify()

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="view-buffer", daemon=True)
        self._thread.start()
        if not self._at_exit:
            atexit.register(self.flush_at_exit)
            self._at_exit = True

    def _run(self) -> None:
        pause = RETRY_FIRST
        while True:
            with self._lock:
                self._wake.wait(timeout=self._flush_seconds)
            if self.flush():
                pause = RETRY_FIRST
            else:
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)

    def flush(self) -> bool:
        """Write everything held now. False when the database could not be reached (all of it
        is held again, in order); batches the database refuses are dropped and logged."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> bool:
        with self._lock:
            taken, self._batches = self._batches, []
        if not taken:
            return True
        try:
            with self._app.app_context():
                written = _write_all(taken)
        except sa.exc.SQLAlchemyError as exc:
            with self._lock:
                self._batches[:0] = taken
            if not self._failing:  # once per outage, not once per retry
                log.warning(
                    "storefront views held: database unreachable",
                    extra=log_fields(events=self._held, error=type(exc).__name__),
                )
            self._failing = True
            return False
        with self._lock:
            self._held -= sum(len(batch) for batch in taken)
        if self._failing:
            log.info("storefront views held written", extra=log_fields(events=written))
            self._failing = False
        return True

    def flush_at_exit(self) -> None:
        """The process is ending: write what it holds, trying until ``EXIT_DEADLINE``."""
        if self._pid != os.getpid():
            return
        deadline = time.monotonic() + EXIT_DEADLINE
        while self._held and not self.flush() and time.monotonic() < deadline:
            time.sleep(RETRY_FIRST)
        if self._held:
            log.error("storefront views lost at exit", extra=log_fields(events=self._held))


def _write_all(batches: list[Events]) -> int:
    """One statement for all; if the database refuses it (not unreachable: a bad row), each
    batch alone, dropping only the batches it refuses. The events written."""
    try:
        write([event for batch in batches for event in batch])
        return sum(len(batch) for batch in batches)
    except sa.exc.DBAPIError as exc:
        if _unreachable(exc):
            raise
    written = 0
    for batch in batches:
        try:
            write(batch)
            written += len(batch)
        except sa.exc.DBAPIError as exc:
            if _unreachable(exc):
                raise
            shop = batch[0]["shop_id"] if batch else None
            log.error(
                "storefront batch refused by the database; dropped",
                extra=log_fields(shop=shop, events=len(batch), error=str(exc.orig)[:200]),
            )
    return written


def _unreachable(exc: sa.exc.DBAPIError) -> bool:
    return isinstance(exc, UNREACHABLE)


def buffer() -> ViewBuffer | None:
    """This app's buffer, or None when batches are written in the request (``COLLECT_FLUSH_MS``
    0, or a database other than PostgreSQL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION)
    return found if isinstance(found, ViewBuffer) else None


def init_app(app: Flask) -> None:
    flush_ms = app.config["COLLECT_FLUSH_MS"]
    if flush_ms > 0 and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.extensions[EXTENSION] = ViewBuffer(
            app, flush_ms / 1000, app.config["COLLECT_BUFFER_EVENTS"]
        )
