"""A throw-away PostgreSQL database with the current schema, for benchmarks.

``STOREFLOW_BENCH_DATABASE_URL`` names the server (default: postgres on 127.0.0.1); the
database itself is created fresh and dropped afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from flask import Flask
from flask_migrate import upgrade

from app import MIGRATIONS_DIR, create_app
from app.config import config_for_tests
from app.models import db

SERVER = os.environ.get("STOREFLOW_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432")


@contextmanager
def scratch_app(name: str) -> Iterator[Flask]:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    app = create_app(config_for_tests(f"{SERVER}/{name}", "redis://127.0.0.1:6379/14"))
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR)
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = func()
    return result, time.perf_counter() - started


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
