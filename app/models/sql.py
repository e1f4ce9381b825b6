"""SQL that PostgreSQL and SQLite spell differently: expressions compiled per dialect, and the
one INSERT with ON CONFLICT every writer uses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from app.models.base import db


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


class local_day(FunctionElement[Any]):
    """The calendar day of a timestamp in a timezone (``local_day(col, "Europe/Warsaw")``).

    SQLite (development only) has no timezone database: it shifts by the zone's offset now."""

    type = sa.Date()
    inherit_cache = True
    name = "local_day"


@compiles(local_day, "postgresql")
def _local_day_pg(element: local_day, compiler: Any, **kw: Any) -> str:
    column, zone = list(element.clauses)
    return f"date(timezone({compiler.process(zone, **kw)}, {compiler.process(column, **kw)}))"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    column, zone = list(element.clauses)
    minutes = _offset_minutes_now(zone.effective_value)
    return f"date({compiler.process(column, **kw)}, '{minutes:+d} minutes')"


class local_hour(FunctionElement[int]):
    """The hour of day (0-23) of a timestamp in a timezone (``local_hour(col, "Europe/Warsaw")``),
    on each date's own offset (summer and winter time alike).

    SQLite (development only) has no timezone database: it shifts by the zone's offset now."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_hour"


@compiles(local_hour, "postgresql")
def _local_hour_pg(element: local_hour, compiler: Any, **kw: Any) -> str:
    column, zone = list(element.clauses)
    local = f"timezone({compiler.process(zone, **kw)}, {compiler.process(column, **kw)})"
    return f"CAST(EXTRACT(HOUR FROM {local}) AS INTEGER)"


@compiles(local_hour, "sqlite")
def _local_hour_sqlite(element: local_hour, compiler: Any, **kw: Any) -> str:
    column, zone = list(element.clauses)
    minutes = _offset_minutes_now(zone.effective_value)
    return (
        f"CAST(strftime('%H', {compiler.process(column, **kw)}, '{minutes:+d} minutes') AS INTEGER)"
    )


def _offset_minutes_now(zone: str) -> int:
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


def allow_large_sorts(megabytes: int = 128) -> None:
    """Give this transaction's sorts room in memory (PostgreSQL only).

    The daily scans sort every customer of a shop a few times; with the default work_mem
    those sorts spill to disk and take several times longer. SET LOCAL ends with the
    transaction, so other work on the connection keeps the server's default.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{int(megabytes)}MB'"))


def dialect_insert(model: Any) -> Any:
    """``INSERT`` into ``model``'s table in the session's dialect, which is what offers
    ``on_conflict_do_nothing``/``on_conflict_do_update`` (plain ``sa.insert`` does not)."""
    module: Any = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(getattr(model, "__table__", model))


def insert_ignoring_conflict(model: type[Any], values: dict[str, Any]) -> int | None:
    """INSERT the row unless a unique constraint says it exists; the new row's id, or None."""
    table = model.__table__
    stmt = dialect_insert(model).values(**values).on_conflict_do_nothing().returning(table.c.id)
    # RETURNING yields no row when the conflict stopped the insert (rowcount is unreliable).
    new_id = db.session.connection().execute(stmt).scalar()
    return int(new_id) if new_id is not None else None


class bytes_contain(FunctionElement[bool]):
    """True where a binary column (``clauses[0]``) holds the bytes ``clauses[1]`` anywhere:
    how erasure finds the raw webhook bodies that name a person."""

    type = sa.Boolean()
    inherit_cache = True
    name = "bytes_contain"


@compiles(bytes_contain, "postgresql")
def _bytes_contain_pg(element: bytes_contain, compiler: Any, **kw: Any) -> str:
    column, needle = list(element.clauses)
    return f"(position({compiler.process(needle, **kw)} in {compiler.process(column, **kw)}) > 0)"


@compiles(bytes_contain, "sqlite")
def _bytes_contain_sqlite(element: bytes_contain, compiler: Any, **kw: Any) -> str:
    column, needle = list(element.clauses)
    return f"(instr({compiler.process(column, **kw)}, {compiler.process(needle, **kw)}) > 0)"
