"""SQL expressions that PostgreSQL and SQLite spell differently, compiled per dialect."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_seconds(FunctionElement[float]):
    """Seconds since 1970 of a timestamp column, so gaps and thresholds are plain numbers."""

    type = sa.Float()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # SQLite stores our timestamps as UTC text; julianday parses it (2440587.5 = 1970-01-01).
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def allow_large_sorts(megabytes: int = 128) -> None:
    """Give this transaction's sorts room in memory (PostgreSQL only).

    The daily scans sort every customer of a shop a few times; with the default work_mem
    those sorts spill to disk and take several times longer. SET LOCAL ends with the
    transaction, so other work on the connection keeps the server's default.
    """
    from app.models import db

    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{int(megabytes)}MB'"))
