"""Fixed-window request limits kept in Redis, for endpoints anyone on the internet can call.

Each (name, key) pair may be hit ``limit`` times per ``window`` seconds across all web
processes. With Redis down the request is allowed (and logged): refusing every merchant's
Connect because our queue store blinked would be worse than a short unlimited spell.

Two ways to count:
- ``over_limit`` / ``over_limits``: every hit is counted in Redis before the answer (one round
  trip). Exact; for sign-in, connect and test sends, where a few requests a minute matter.
- ``LazyLimits``: the collector's (thousands of batches a second). Each process counts hits
  itself and adds them to Redis's totals every ``SYNC_SECONDS`` in one pipeline, learning the
  totals of all processes in the reply; a hit is refused when the last total heard plus the
  hits not yet sent are over the limit. A limit is enforced across processes within
  ``SYNC_SECONDS``: each process may let through what it receives in that time beyond it.
  The round trip to Redis was half of what a collector request cost (issue 14).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Sequence

from flask import Flask, current_app
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.logs import fields as log_fields
from app.pipeline import queues

log = logging.getLogger(__name__)


def over_limit(name: str, key: str, *, limit: int, window: int) -> int | None:
    """Seconds until the window ends when this hit is over the limit; None when allowed."""
    return over_limits([(name, key, limit)], window=window)


# Per key: start the window once (SET NX EX: EXPIRE NX needs Redis 7, make run's is older),
# count the hit, read the window's end. One command for every limit (EVALSHA; redis-py loads
# the script once per server when it is missing), atomic as the MULTI/EXEC it replaces, and a
# third of the client's CPU: a pipeline of three commands per limit was most of what the
# collector's rate limits cost.
_COUNT_HITS = """
local replies = {}
for _, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[1], 'NX')
  replies[#replies + 1] = redis.call('INCR', key)
  replies[#replies + 1] = redis.call('TTL', key)
end
return replies
"""


def over_limits(checks: Sequence[tuple[str, str, int]], *, window: int) -> int | None:
    """Count this hit on every ``(name, key, limit)`` in one round trip; the longest wait among
    the limits it is over, None when all allow it. Every limit counts the hit, refused or not
    (one round trip cannot count the second only when the first allows)."""
    keys = [f"storeflow:limit:{name}:{key}" for name, key, _limit in checks]
    try:
        replies = _count_hits(queues.redis_connection())(keys=keys, args=[window])
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=checks[0][0]))
        return None
    waits = [
        max(int(replies[2 * n + 1]), 1)
        for n, (_name, _key, limit) in enumerate(checks)
        if int(replies[2 * n]) > limit
    ]
    return max(waits) if waits else None


_SCRIPTS: weakref.WeakKeyDictionary[Redis, Script] = weakref.WeakKeyDictionary()


def _count_hits(conn: Redis) -> Script:
    """The script bound to this client (each app has its own Redis client)."""
    script = _SCRIPTS.get(conn)
    if script is None:
        script = _SCRIPTS[conn] = conn.register_script(_COUNT_HITS)
    return script


def blocked_for(name: str, key: str, *, limit: int) -> int | None:
    """Seconds until the window ends when ``limit`` hits are already counted, without counting
    this one: for limits that count only failures (wrong passwords)."""
    redis_key = f"storeflow:limit:{name}:{key}"
    try:
        conn = queues.redis_connection()
        pipe = conn.pipeline()
        pipe.get(redis_key)
        pipe.ttl(redis_key)
        hits, ttl = pipe.execute()
    except RedisError:
        log.warning("rate limit unavailable", extra=log_fields(limit_name=name))
        return None
    return max(int(ttl), 1) if hits is not None and int(hits) >= limit else None


SYNC_SECONDS = 0.1
LAZY_EXTENSION = "storeflow_lazy_limits"


class LazyLimits:
    """One process's counts of hits for limits enforced lazily (see the module's docstring).
    Windows are aligned to the clock (``time() // window``), so that every process counts the
    same window. Safe across ``fork``: a child starts with no counts and a thread of its own."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._start_empty()

    def _start_empty(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._syncing = threading.Lock()  # one sync at a time: each sends what it read
        # per window length: (the window's number, {redis key: [total heard, hits not sent]})
        self._windows: dict[int, tuple[int, dict[str, list[int]]]] = {}
        self._thread: threading.Thread | None = None

    def hit(
        self, checks: Sequence[tuple[str, str, int]], *, window: int, now: float | None = None
    ) -> int | None:
        """Count this hit on every ``(name, key, limit)``; the seconds until the window ends
        when it is over any of them (as far as this process knows), None when allowed."""
        if self._pid != os.getpid():
            self._start_empty()
        now = time.time() if now is None else now
        number = int(now // window)
        over = False
        with self._lock:
            counts = self._counts(window, number)
            for name, key, limit in checks:
                entry = counts.setdefault(f"storeflow:lazy:{name}:{key}:{number}", [0, 0])
                entry[1] += 1
                over = over or entry[0] + entry[1] > limit
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lazy-limits", daemon=True)
                self._thread.start()
        return max(math.ceil((number + 1) * window - now), 1) if over else None

    def forget_all(self) -> None:
        """Forget every count (Redis's totals stay): for an emptied Redis, as in the tests."""
        with self._lock:
            self._windows.clear()

    def _counts(self, window: int, number: int) -> dict[str, list[int]]:
        current = self._windows.get(window)
        if current is None or current[0] != number:  # a new window: the last one's are done
            current = self._windows[window] = (number, {})
        return current[1]

    def _run(self) -> None:
        while True:
            time.sleep(SYNC_SECONDS)
            self.sync()

    def sync(self) -> None:
        """Send the hits counted since the last sync and hear every process's totals.

        Hits sent stay counted as not heard until Redis answers: a hit counted meanwhile (the
        sync waits on Redis outside the lock) is checked against them too, and when Redis is
        away they are simply sent with the next sync."""
        with self._syncing:
            self._sync()

    def _sync(self) -> None:
        with self._lock:
            sent = [
                (key, entry[1], window)
                for window, (_number, counts) in self._windows.items()
                for key, entry in counts.items()
                if entry[1]
            ]
        if not sent:
            return
        try:
            with self._app.app_context():
                pipe = queues.redis_connection().pipeline(transaction=False)
            for key, hits, window in sent:
                pipe.incrby(key, hits)
                pipe.expire(key, window + 5)
            replies = pipe.execute()
        except RedisError:
            log.warning("rate limit unavailable", extra=log_fields(keys=len(sent)))
            return
        with self._lock:
            for (key, hits, window), total in zip(sent, replies[::2], strict=True):
                entry = self._windows.get(window, (0, {}))[1].get(key)
                if entry is not None:  # else its window has ended meanwhile
                    # Redis's total now holds the hits sent; those counted since stay unsent.
                    entry[0], entry[1] = int(total), entry[1] - hits


def lazy_limits(app: Flask | None = None) -> LazyLimits:
    """This app's lazily shared counts (one per app and process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    limits = app.extensions.get(LAZY_EXTENSION)
    if limits is None:
        limits = app.extensions.setdefault(LAZY_EXTENSION, LazyLimits(app))
    return limits


def over_limits_lazily(checks: Sequence[tuple[str, str, int]], *, window: int) -> int | None:
    """``over_limits`` for hot endpoints: counted by this process, shared through Redis every
    ``SYNC_SECONDS`` (``LazyLimits``), with no round trip in the request."""
    return lazy_limits().hit(checks, window=window)
