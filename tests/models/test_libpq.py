"""One statement through libpq itself (``app.models.libpq``): what psycopg's cursor would have
done with it, on a real PostgreSQL connection of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg.types.json import Jsonb

from app.models import libpq
from tests.backends import Backends

_INSERT = (
    "INSERT INTO libpq_probe (n, flag, amount, label, at, day, doc, raw) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id, label"
)


@pytest.fixture()
def conn(backends: Backends) -> Iterator[psycopg.Connection]:
    if not backends.is_postgres:
        pytest.skip("libpq is PostgreSQL's")
    with psycopg.connect(backends.database_url) as connection:
        connection.execute(
            "CREATE TEMP TABLE libpq_probe (id serial PRIMARY KEY, n bigint UNIQUE, flag boolean,"
            " amount numeric(10, 2), label text, at timestamptz, day date, doc jsonb, raw bytea)"
        )
        connection.commit()
        yield connection


def _prepared_here(conn: psycopg.Connection) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'storeflow_%%'")
        names = [row[0] for row in cursor.fetchall()]
    conn.rollback()
    return names


def test_every_kind_of_value_is_stored_as_psycopg_would_store_it(conn):
    at = datetime(2026, 11, 30, 18, 5, 7, 123456, tzinfo=UTC)
    values = [7, True, Decimal("12.50"), "Łódź, zażółć", at, date(2026, 2, 28)]
    doc = {"topic": "checkouts/update", "ids": [1, 2], "nested": {"ok": None}}
    raw = bytes(range(256))

    row = libpq.execute(conn, _INSERT, [*values, Jsonb(doc), raw])

    assert row is not None and row[1] == "Łódź, zażółć"
    stored = conn.execute(
        "SELECT id, n, flag, amount, label, at, day, doc, raw FROM libpq_probe"
    ).fetchone()
    assert stored == (int(row[0]), *values, doc, raw)


def test_nulls_and_a_conflict_give_no_row_and_store_nothing_more(conn):
    assert libpq.execute(conn, _INSERT, [1, None, None, None, None, None, None, None]) is not None

    again = libpq.execute(conn, _INSERT, [1, False, None, "twin", None, None, None, None])

    assert again is None
    assert conn.execute("SELECT n, flag, label FROM libpq_probe").fetchall() == [(1, None, None)]


def test_named_parameters_and_percent_signs_are_sent_as_written(conn):
    statement = (
        "INSERT INTO libpq_probe (n, label) VALUES (%(n)s, %(label)s || ' 100%%') "
        "RETURNING label, (SELECT count(*) FROM libpq_probe WHERE n = %(n)s)"
    )

    row = libpq.execute(conn, statement, {"label": "off", "n": 3})

    assert row == ("off 100%", "0")
    assert libpq.prepared(statement).keys == ("n", "label")
    assert "$1" in libpq.prepared(statement).text and "%(" not in libpq.prepared(statement).text


def test_a_statement_is_prepared_once_per_connection_and_again_when_it_was_deallocated(conn):
    name = libpq.prepared(_INSERT).name.decode()
    assert name not in _prepared_here(conn)

    libpq.execute(conn, _INSERT, [1, None, None, "a", None, None, None, None])
    libpq.execute(conn, _INSERT, [2, None, None, "b", None, None, None, None])
    assert _prepared_here(conn).count(name) == 1

    conn.execute("DEALLOCATE ALL")  # another user of the connection threw it away
    conn.commit()
    row = libpq.execute(conn, _INSERT, [3, None, None, "c", None, None, None, None])

    assert row is not None and row[1] == "c"
    assert _prepared_here(conn).count(name) == 1
    assert conn.execute("SELECT label FROM libpq_probe ORDER BY n").fetchall() == [
        ("a",),
        ("b",),
        ("c",),
    ]


def test_a_nul_character_is_refused_before_sending_not_cut_short(conn):
    with pytest.raises(psycopg.DataError, match="NUL"):
        libpq.execute(conn, _INSERT, [1, None, None, "before\x00after", None, None, None, None])

    assert conn.execute("SELECT count(*) FROM libpq_probe").fetchone() == (0,)
    # The connection is still good for the next statement.
    assert libpq.execute(conn, _INSERT, [1, None, None, "fine", None, None, None, None])


def test_a_refused_statement_raises_the_psycopg_error_of_its_sqlstate(conn):
    conn.execute("ALTER TABLE libpq_probe ADD CHECK (n > 0)")
    conn.commit()

    with pytest.raises(psycopg.errors.CheckViolation):
        libpq.execute(conn, _INSERT, [-1, None, None, None, None, None, None, None])
    with pytest.raises(psycopg.errors.UndefinedTable):
        libpq.execute(conn, "INSERT INTO no_such_table VALUES (%s)", [1])

    assert libpq.execute(conn, _INSERT, [5, None, None, "after", None, None, None, None])
    assert conn.execute("SELECT label FROM libpq_probe").fetchall() == [("after",)]


def test_a_transaction_left_open_is_rolled_back_and_the_statement_still_commits(conn):
    conn.execute("INSERT INTO libpq_probe (n, label) VALUES (1, 'left open')")  # no commit

    libpq.execute(conn, _INSERT, [2, None, None, "ours", None, None, None, None])

    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert conn.execute("SELECT n, label FROM libpq_probe").fetchall() == [(2, "ours")]


def test_a_connection_the_server_closed_raises_operational_error(conn, backends):
    pid = conn.info.backend_pid
    with psycopg.connect(backends.database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(psycopg.OperationalError):
        libpq.execute(conn, _INSERT, [1, None, None, "lost", None, None, None, None])

    assert conn.pgconn.status == psycopg.pq.ConnStatus.BAD


def test_a_value_of_an_unknown_type_is_a_type_error_not_sent(conn):
    with pytest.raises(TypeError, match="object"):
        libpq.execute(conn, _INSERT, [object(), None, None, None, None, None, None, None])
    # JSON goes only wrapped (Jsonb), as psycopg has it: a bare dict is a mistake, not JSON.
    with pytest.raises(TypeError, match="dict"):
        libpq.execute(conn, _INSERT, [1, None, None, None, None, None, {"a": 1}, None])

    assert libpq.execute(conn, _INSERT, [1, None, None, "sent", None, None, None, None])
