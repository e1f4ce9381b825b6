"""A web process wakes the delivery drain from a thread of its own, at most once every
``DELIVERY_WAKE_MS`` (50 ms), instead of in each webhook's request.

The stored row is the queue (``ingest.drain_deliveries``); the wake-up (``ingest.wake_workers``:
a Redis SET, and a job when no drain waits) only says "look". Made in the request, it was a
Redis round trip a sync worker waited for on every delivery (issue 18); made here, a burst of
deliveries costs one wake-up per interval, and the delivery waits at most that long more before
a drain looks.

Nothing is lost if a wake-up never comes: the row is stored and committed before the 200, any
later delivery's wake-up (from any process) starts a drain that claims every waiting row, and
the minute tick wakes a drain for rows still waiting after ``STUCK_DELIVERY_SECONDS``. A
process that exits normally sends a wake-up it still owes.

``DELIVERY_WAKE_MS`` 0 (the test-suite's default) wakes in the request, as before.
"""

from __future__ import annotations

import atexit
import os
import threading
import time

from flask import Flask, current_app

from app.pipeline.ingest import enqueue_delivery, wake_quietly

EXTENSION = "storeflow_deferred_wake"


class DeferredWake:
    """One process's owed wake-up and the thread that sends it. Safe across ``fork``."""

    def __init__(self, app: Flask, every_seconds: float) -> None:
        self._app = app
        self._every = every_seconds
        self._at_exit = False
        self._start_empty()

    def _start_empty(self) -> None:
        self._pid = os.getpid()
        self._owed = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def owed(self) -> bool:
        return self._owed.is_set()

    def note(self) -> None:
        """A delivery was stored: wake a drain soon."""
        if self._pid != os.getpid():
            self._start_empty()
        self._owed.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="deferred-wake", daemon=True
                    )
                    self._thread.start()
                    if not self._at_exit:
                        atexit.register(self.send)
                        self._at_exit = True

    def _run(self) -> None:
        while True:
            self._owed.wait()
            self.send()
            time.sleep(self._every)  # what arrives meanwhile shares the next wake-up

    def send(self) -> None:
        """Send the wake-up owed, if any (Redis away: logged, the minute tick covers it)."""
        if self._pid != os.getpid() or not self._owed.is_set():
            return
        self._owed.clear()
        with self._app.app_context():
            wake_quietly()


def wake_soon(delivery_id: int) -> None:
    """After storing a delivery: wake a drain now (``DELIVERY_WAKE_MS`` 0) or within that."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    deferred = app.extensions.get(EXTENSION)
    if isinstance(deferred, DeferredWake):
        deferred.note()
    else:
        enqueue_delivery(delivery_id)


def init_app(app: Flask) -> None:
    wake_ms = app.config["DELIVERY_WAKE_MS"]
    if wake_ms > 0:
        app.extensions[EXTENSION] = DeferredWake(app, wake_ms / 1000)
