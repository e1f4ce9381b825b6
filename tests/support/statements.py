"""Counting what the app sends the database server: proof that a batch reads something once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from app.models import db


@contextlib.contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL the app sends the server while the block runs, one entry per statement."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
