"""What every benchmark shares: where its PostgreSQL and Redis are, its size, scratch
databases with the current schema, and the one line per goal that ``run_all.py`` collects.

Environment:

- ``STOREFLOW_BENCH_DATABASE_URL``: the PostgreSQL server (no database name; default
  ``postgresql://postgres@127.0.0.1:5432``). Each benchmark creates its own scratch database
  there, ``bench_<name>`` (plus ``BENCH_DB_SUFFIX``), and drops it afterwards.
- ``STOREFLOW_BENCH_REDIS_URL``: a Redis database the benchmarks may flush (default
  ``redis://127.0.0.1:6379/14``).
- ``BENCH_SCALE``: ``full`` (the sizes the goals name; the default) or ``small`` (a smoke run
  of a few seconds each: it proves the benchmark works, its figures mean nothing).
- ``BENCH_RESULTS``: a file each goal's result is appended to as a JSON line (``run_all.py``
  sets it and prints the table).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import redis
from flask import Flask
from flask_migrate import upgrade

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.models import db

SERVER = os.environ.get(
    "STOREFLOW_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432"
).rstrip("/")
REDIS_URL = os.environ.get("STOREFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ("full", "small"):
    raise SystemExit(f"BENCH_SCALE must be full or small, got {SCALE!r}")
SMALL = SCALE == "small"


def sized(full: Any, small: Any) -> Any:
    """The full-size value, or the smoke run's."""
    return small if SMALL else full


def database_name(name: str) -> str:
    return f"bench_{name}{os.environ.get('BENCH_DB_SUFFIX', '')}"


def database_url(name: str) -> str:
    return f"{SERVER}/{database_name(name)}"


def _admin(statement: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def bench_config(name: str, **overrides: Any) -> dict[str, Any]:
    return config_for_tests(database_url(name), REDIS_URL, **overrides)


def flush_redis() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A fresh, empty database (dropped afterwards); yields its URL."""
    database = database_name(name)
    _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{database}"')
    try:
        yield database_url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def scratch_app(name: str, **overrides: Any) -> Iterator[Flask]:
    """The app on a fresh database with the current schema, inside an app context."""
    with scratch_database(name):
        flush_redis()
        app = create_app(bench_config(name, **overrides))
        try:
            with app.app_context():
                upgrade(directory=MIGRATIONS_DIR)
                yield app
                db.session.remove()
                db.engine.dispose()
        finally:
            flush_redis()


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = func()
    return result, time.perf_counter() - started


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(goal: str, measured: str, target: str, holds: bool | None, baseline: str = "") -> None:
    """One goal's result for ``run_all.py``'s table: what was measured, the goal, whether it
    holds (None: not measured in this run), and the baseline measured in the same run."""
    path = os.environ.get("BENCH_RESULTS")
    if not path:
        return
    line = {"goal": goal, "measured": measured, "target": target, "holds": holds}
    line["baseline"] = baseline
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
