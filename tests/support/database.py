"""What tests do to the database server from outside the app."""

from __future__ import annotations

import psycopg

from app.models import db


def drop_pooled_connections(database_url: str) -> None:
    """Have the server close every connection the app's pool holds idle, as a restart or an
    idle timeout does: the pool does not know until it uses one (no pre-ping)."""
    pooled = [db.engine.connect() for _ in range(db.engine.pool.checkedin())]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in pooled]
    for conn in pooled:
        conn.close()
    with psycopg.connect(database_url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
