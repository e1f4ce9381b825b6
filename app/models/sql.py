"""SQL that PostgreSQL and SQLite spell differently: expressions compiled per dialect, and the
one INSERT with ON CONFLICT every writer uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from psycopg import pq
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from app.models import libpq
from app.models.base import db

T = TypeVar("T")
# What SQLAlchemy raises when it cannot reach or keep the database (connection refused, dropped,
# pool exhausted); a programming error (bad SQL, constraint) is none of these.
UNREACHABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
_POSTGRESQL = postgresql.dialect()  # quotes names only where PostgreSQL needs it


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
    # date_part (a float) rather than EXTRACT (a numeric since PostgreSQL 14): the same hour,
    # without building a numeric for each of a year's millions of events.
    return f"CAST(date_part('hour', {local}) AS INTEGER)"


@compiles(local_hour, "sqlite")
def _local_hour_sqlite(element: local_hour, compiler: Any, **kw: Any) -> str:
    column, zone = list(element.clauses)
    minutes = _offset_minutes_now(zone.effective_value)
    return (
        f"CAST(strftime('%H', {compiler.process(column, **kw)}, '{minutes:+d} minutes') AS INTEGER)"
    )


class greatest(FunctionElement[Any]):
    """The largest of its arguments (PostgreSQL's ``greatest``, SQLite's many-argument
    ``max``); give it no NULLs: the two disagree on them."""

    type = sa.Float()
    inherit_cache = True
    name = "greatest"


@compiles(greatest, "postgresql")
def _greatest_pg(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


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


def plan_for_bulk() -> None:
    """Plans for statements over all of a shop's rows, for the rest of this transaction
    (PostgreSQL only; SET LOCAL ends with the transaction).

    No JIT: a statement with many wide expressions (the send-time blend scores 24 hours per
    row) costs the JIT compiler more than running them interpreted, over a minute of
    compiling for a 20-second statement. No nested loops: a table just emptied or filled has
    statistics saying it is empty until autovacuum's next ANALYZE, and a nested loop over what
    is in fact a million rows (worse, over rows the statement itself is inserting) reads it
    once per row; a hash join reads it once whatever the estimate."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL jit = off"))
        db.session.execute(sa.text("SET LOCAL enable_nestloop = off"))


def dialect_insert(model: Any) -> Any:
    """``INSERT`` into ``model``'s table in the session's dialect, which is what offers
    ``on_conflict_do_nothing``/``on_conflict_do_update`` (plain ``sa.insert`` does not)."""
    module: Any = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(getattr(model, "__table__", model))


def insert_ignoring_conflict(
    model: type[Any], values: dict[str, Any], *, committed: bool = False
) -> int | None:
    """INSERT the row unless a unique constraint says it exists; the new row's id, or None.

    By default in the session's transaction (the caller commits); with ``committed``, alone in
    a transaction of its own (``run_committed``), durable when this returns.
    """
    if committed and db.engine.dialect.name == "postgresql":  # no session needed
        row = execute_committed(*_raw_insert_ignoring(model.__table__, values))
        return int(row[0]) if row is not None and row[0] is not None else None
    stmt = _insert_ignoring(model.__table__, db.session.get_bind().dialect.name)
    # RETURNING yields no row when the conflict stopped the insert (rowcount is unreliable).
    if committed:
        new_id = run_committed(lambda conn: conn.execute(stmt, values).scalar())
    else:
        new_id = db.session.connection().execute(stmt, values).scalar()
    return int(new_id) if new_id is not None else None


def insert_new_row(model: type[T], values: dict[str, Any]) -> T | None:
    """INSERT the row unless a unique constraint says it exists: the new row, loaded into the
    session, or None. A row this transaction inserted is its own until commit (another
    inserting the same key waits on it), as if locked: one round trip where inserting, then
    reading back with ``FOR UPDATE``, took two. In the session's transaction."""
    stmt = _insert_new_row(cast(Any, model), db.session.get_bind().dialect.name)
    return db.session.scalars(stmt, values).first()


def insert_new_rows(model: type[T], rows: list[dict[str, Any]]) -> list[T]:
    """``insert_new_row`` for many rows in one statement: the rows no unique constraint says
    exist (nor an earlier row of the list), loaded into the session, in no given order. As
    there, every key given is written (None as NULL) and the columns' defaults fill in the
    rest."""
    if not rows:
        return []
    defaults = _column_defaults(cast(Any, model).__table__)
    stmt = _insert_new_rows(cast(Any, model), db.session.get_bind().dialect.name)
    # The ORM's bulk INSERT: one statement of many VALUES (built once, sent with the rows as
    # parameters), its RETURNING loaded as rows of the session. Every row has every column,
    # None written as NULL ("render_nulls"), so no row splits the statement into several.
    full = [{**defaults, **row} for row in rows]
    return list(db.session.scalars(stmt, full, execution_options={"render_nulls": True}))


@functools.cache
def _insert_new_rows(model: type[Any], dialect_name: str) -> Any:
    module: Any = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing().returning(model)


def _column_defaults(table: sa.Table) -> dict[str, Any]:
    """Every column but the key, as an INSERT leaving it out would write it: the Python-side
    defaults ``_raw_insert_ignoring`` fills in too (called anew: a timestamp is now), NULL
    where there is none."""
    if any(column.server_default is not None for column in table.columns):
        raise TypeError(f"{table.name}: a server-side default is not written")
    values: dict[str, Any] = {c.key: None for c in table.columns if not c.primary_key}
    for column in _defaulted_columns(table):
        default: Any = column.default
        values[column.key] = default.arg(None) if default.is_callable else default.arg
    return values


@functools.cache
def _insert_new_row(model: type[Any], dialect_name: str) -> Any:
    """Built once per model, the values coming as parameters: SQLAlchemy finds it compiled
    in its cache instead of coercing, hashing and compiling the values each time. A Core
    INSERT (every key given is written, None as NULL; the columns' defaults fill in the rest)
    whose returned row the ORM loads as it loads a SELECT's."""
    module: Any = postgresql if dialect_name == "postgresql" else sqlite
    table = model.__table__
    insert = module.insert(table).on_conflict_do_nothing().returning(*table.columns)
    return sa.select(model).from_statement(insert)


@functools.cache
def _insert_ignoring(table: sa.Table, dialect_name: str) -> Any:
    """Built once per table: the values come as parameters, so SQLAlchemy finds the compiled
    statement in its cache without building and hashing a new one per row."""
    module: Any = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing().returning(table.c.id)


def _raw_insert_ignoring(table: sa.Table, values: dict[str, Any]) -> tuple[str, list[Any]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` as the driver's SQL and parameters:
    the columns' Python-side defaults filled in as SQLAlchemy would, JSON wrapped for jsonb."""
    row = dict(values)
    for column in _defaulted_columns(table):
        if column.key not in row:
            default: Any = column.default
            row[column.key] = default.arg(None) if default.is_callable else default.arg
    keys = tuple(row)
    statement, json_keys = _raw_insert_sql(table, keys)
    return statement, [Jsonb(row[key]) if key in json_keys else row[key] for key in keys]


@functools.cache
def _defaulted_columns(table: sa.Table) -> tuple[sa.Column[Any], ...]:
    return tuple(
        column
        for column in table.columns
        if column.default is not None
        and not column.primary_key
        and (column.default.is_scalar or column.default.is_callable)
    )


@functools.cache
def _raw_insert_sql(table: sa.Table, keys: tuple[str, ...]) -> tuple[str, frozenset[str]]:
    """Built once per table and column set: the same text each time, which psycopg prepares
    on the server after a few runs on a connection (``prepare_threshold``), so PostgreSQL
    stops parsing and planning it."""
    quote = _POSTGRESQL.identifier_preparer.quote
    names = ", ".join(quote(table.c[key].name) for key in keys)
    marks = ", ".join("%s" for _ in keys)
    statement = (
        f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(table.c.id.name)}"
    )
    json_keys = frozenset(key for key in keys if isinstance(table.c[key].type, sa.JSON))
    return statement, json_keys


def execute_committed(statement: str, params: Any) -> tuple[str | None, ...] | None:
    """PostgreSQL: one statement in driver SQL (``%s`` or ``%(name)s``), run on a connection
    borrowed raw from the engine's pool, outside any transaction: its own, committed when
    this returns, in one round trip. Its first row, each value as text (None without one).

    What ``run_committed`` does without SQLAlchemy's Connection, statement compiling and
    result objects (about a tenth of a millisecond less per call), nor psycopg's cursor
    (``libpq.execute``: in-process, a webhook's CPU went from about 263 to 240 µs). The same
    rules: a connection found dead (the server restarted since) is thrown away and the
    statement sent once more on a new one, so keep it to statements harmless twice; a
    failure is raised as SQLAlchemy's exception (``OperationalError`` for a database that is
    down), as the 503 handlers expect."""
    engine = db.engine
    dialect = engine.dialect
    for attempt in (1, 2):
        try:
            pooled = engine.raw_connection()
        except dialect.loaded_dbapi.Error as exc:  # no connection to be had: the database down
            raise _as_sqlalchemy(dialect, statement, params, exc, dead=True) from exc
        driver: Any = pooled.driver_connection
        try:
            return libpq.execute(driver, statement, params)
        except dialect.loaded_dbapi.Error as exc:
            dead = (
                bool(driver.broken or driver.closed)
                or driver.pgconn.status == pq.ConnStatus.BAD
                or dialect.is_disconnect(exc, driver, None)
            )
            if dead:
                # As SQLAlchemy's Connection does on a disconnect: this connection and every
                # one the pool made before it are replaced (the server restarted: all are dead).
                engine.pool._invalidate(pooled, exc)
            if attempt == 2 or not dead:
                raise _as_sqlalchemy(dialect, statement, params, exc, dead=dead) from exc
        finally:
            pooled.close()
    raise AssertionError("unreachable")


def _as_sqlalchemy(
    dialect: sa.Dialect, statement: str, params: Any, exc: Exception, *, dead: bool
) -> sa.exc.StatementError:
    """The driver's error as SQLAlchemy raises it (``OperationalError`` for a database that
    is down), so the handlers that answer 503 see the same exception either way."""
    return sa.exc.DBAPIError.instance(
        statement,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dead,
        dialect=dialect,
    )


def run_committed(work: Callable[[sa.Connection], T]) -> T:
    """Run one statement (``work``) on a connection of its own in autocommit: it is its own
    transaction, committed when this returns, in one round trip (no BEGIN, no COMMIT, and the
    request's session is left alone: nothing to roll back at teardown).

    The pool does not ping a connection before lending it (``config.py``), so one found dead
    (the server restarted since) is replaced and ``work`` runs once more. Only a connection
    lost after the server committed but before its answer could run it twice: keep ``work``
    to statements that are harmless twice (an insert a unique constraint guards, a view).
    """
    for attempt in (1, 2):
        try:
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")
                return work(conn)
        except sa.exc.DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


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


def json_lines(column: Any) -> tuple[Any, Any]:
    """A JSON array column's elements as a table to join (a cart's lines), and a function from
    a key to that element's text value. PostgreSQL lets a function in FROM read the row before
    it (implicitly LATERAL); SQLite's ``json_each`` does the same."""
    if db.session.get_bind().dialect.name == "postgresql":
        lines = sa.func.json_array_elements(column).table_valued("value", joins_implicitly=True)
        return lines, lambda key: lines.c.value.op("->>")(sa.literal_column(f"'{key}'"))
    lines = sa.func.json_each(column).table_valued("value", joins_implicitly=True)
    return lines, lambda key: sa.func.json_extract(lines.c.value, f"$.{key}")
