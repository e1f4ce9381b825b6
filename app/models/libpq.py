"""One statement sent through libpq itself, prepared once per connection: the hot inserts of
the ingest endpoints (``sql.execute_committed``), where psycopg's cursor (adapting, its own
prepare bookkeeping, its generators) cost about 25 µs more CPU per webhook
(issue 18: in-process 263 against 240 µs; ``bench/ingest.py`` 0.49 against 0.50-0.52 of the bare
endpoint).

What psycopg would do, kept: the statement is prepared on the server on first use by each
connection (named by the text's hash, so two texts never share a name; a connection that lost
it since prepares it again); the values go as text in the connection's encoding,
``bytes`` as binary; a text value holding a NUL byte is refused as psycopg refuses it (libpq
would cut it short there); an error comes back as the psycopg exception of its SQLSTATE, and a
connection that died as ``OperationalError``.

The statement runs outside any transaction (the connection is one the pool lent, idle), so it is
its own transaction, committed when the server answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from psycopg import errors, pq
from psycopg.types.json import Json, Jsonb

_MARK = re.compile(r"%\((\w+)\)s|%s|%%")
_MISSING_STATEMENT = b"26000"  # invalid_sql_statement_name: not prepared on this connection
_PREPARED_ALREADY = b"42P05"  # duplicate_prepared_statement
# The statements each connection (its libpq handle) has prepared: one round trip per statement
# from the second use on, and no failed one on the first.
_PREPARED: WeakKeyDictionary[Any, set[bytes]] = WeakKeyDictionary()


@dataclass(frozen=True)
class Prepared:
    name: bytes
    text: str  # the statement with $1, $2... for psycopg's %s or %(name)s
    keys: tuple[str, ...] | None  # the order of named parameters; None: positional


@functools.cache
def prepared(statement: str) -> Prepared:
    """``statement`` in driver SQL (``%s`` or ``%(name)s``, ``%%`` for a percent sign) as
    libpq takes it. Built once per text."""
    keys: list[str] = []
    positional = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal positional
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is None:
            positional += 1
            return f"${positional}"
        if match.group(1) not in keys:
            keys.append(match.group(1))
        return f"${keys.index(match.group(1)) + 1}"

    text = _MARK.sub(mark, statement)
    if keys and positional:
        raise ValueError("a statement takes %s or %(name)s parameters, not both")
    digest = hashlib.sha1(statement.encode(), usedforsecurity=False).hexdigest()[:20]
    return Prepared(f"storeflow_{digest}".encode(), text, tuple(keys) if keys else None)


def execute(
    connection: psycopg.Connection[Any], statement: str, params: Sequence[Any] | Mapping[str, Any]
) -> tuple[str | None, ...] | None:
    """Run ``statement`` on ``connection`` (idle, as the pool lends it): its first row, each
    value as text (None for NULL), or None when it returns no row."""
    form = prepared(statement)
    if form.keys is not None:
        named = params if isinstance(params, Mapping) else {}
        ordered = [named[key] for key in form.keys]
    else:
        ordered = list(params)
    encoding = connection.info.encoding
    wired = [_wire(value, encoding) for value in ordered]
    pgconn = connection.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        connection.rollback()  # never inside a transaction someone left open: ours commits
    result = _exec(pgconn, form, [v for v, _ in wired], [f for _, f in wired], encoding)
    if result.status == pq.ExecStatus.TUPLES_OK and result.ntuples:
        row = (result.get_value(0, column) for column in range(result.nfields))
        return tuple(None if value is None else bytes(value).decode(encoding) for value in row)
    return None


def _exec(
    pgconn: Any, form: Prepared, values: list[bytes | None], formats: list[int], encoding: str
) -> Any:
    names = _PREPARED.setdefault(pgconn, set())
    if form.name not in names:
        _prepare(pgconn, form, encoding)
        names.add(form.name)
    result = pgconn.exec_prepared(form.name, values, formats)
    if _failed(result) and result.error_field(pq.DiagnosticField.SQLSTATE) == _MISSING_STATEMENT:
        _prepare(pgconn, form, encoding)  # deallocated since, by someone else on the connection
        result = pgconn.exec_prepared(form.name, values, formats)
    if _failed(result):
        raise _error(pgconn, result, encoding)
    return result


def _prepare(pgconn: Any, form: Prepared, encoding: str) -> None:
    made = pgconn.prepare(form.name, form.text.encode(encoding))
    if _failed(made) and made.error_field(pq.DiagnosticField.SQLSTATE) != _PREPARED_ALREADY:
        raise _error(pgconn, made, encoding)


def _failed(result: Any) -> bool:
    return result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)


def _error(pgconn: Any, result: Any, encoding: str) -> psycopg.Error:
    if pgconn.status == pq.ConnStatus.BAD:  # the server went away: no SQLSTATE to go by
        return psycopg.OperationalError(result.get_error_message(encoding) or "connection lost")
    return errors.error_from_result(result, encoding=encoding)


def _wire(value: Any, encoding: str) -> tuple[bytes | None, int]:
    """One parameter as libpq sends it: (its bytes, 0 for text or 1 for binary)."""
    if value is None:
        return None, 0
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value), 1
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, int | Decimal | float | str):
        text = str(value)
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, Json | Jsonb):
        text = json.dumps(value.obj)
    else:  # a bare dict or list too: JSON only when wrapped, as psycopg has it
        raise TypeError(f"cannot send {type(value).__name__} as a parameter")
    if "\x00" in text:
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return text.encode(encoding), 0
