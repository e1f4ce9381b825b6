"""gunicorn's settings for the Procfile's ``web`` process (loaded by its ``--config``).

Workers: ``WEB_CONCURRENCY`` when set (platforms such as Heroku set it from the dyno's size),
else gunicorn's own advice for sync workers, two per core plus one, at most nine.

Why more workers than cores: a webhook's request is mostly waiting. It answers 200 only once
its delivery is committed, and a commit waits for PostgreSQL to flush its log to disk (about
2.5 ms on the benchmark machine, several times the request's 0.7 ms of CPU). A sync worker
serves one request at a time, so with one worker per core the cores sat idle during those
flushes and the number of workers, not the CPU, capped the deliveries per second
(``bench/ingest_wrk.py``). With more requests in flight, PostgreSQL also flushes several
commits at once. Each worker costs its memory (about 100 MB) and up to its pool's database
connections: lower ``WEB_CONCURRENCY`` on a small container.
"""

from __future__ import annotations

import os

MAX_DEFAULT_WORKERS = 9


def default_workers() -> int:
    """Two per core this process may run on, plus one; at most ``MAX_DEFAULT_WORKERS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
