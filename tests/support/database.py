"""What tests do to the database server from outside the app."""

from __future__ import annotations

import psycopg

from app.models import db


def drop_pooled_connections(database_url: str, at_least: int = 3) -> None:
    """Have the server close every connection the app's pool holds idle, as a restart or an
    idle timeout does: the pool does not know until it uses one (no pre-ping). The pool is
    made to hold ``at_least`` first: after a restart every one of them is dead, not only the
    first one lent."""
    count = max(at_least, db.engine.pool.checkedin())
    pooled = [db.engine.connect() for _ in range(count)]
    pids = [conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() for conn in pooled]
    for conn in pooled:
        conn.close()
    with psycopg.connect(database_url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
