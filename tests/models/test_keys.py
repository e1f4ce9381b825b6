"""Every key a database sharded by shop must enforce includes ``shop_id``.

Citus (distributed PostgreSQL, sharded on ``shop_id``) enforces a unique constraint, unique
index or primary key only when it contains the distribution column. The test walks the models'
metadata, so a new table or constraint that breaks the rule fails here, not on the day the
database is sharded.

A primary key that is the table's own surrogate ``id`` (one sequence, unique by construction)
passes: making it ``(shop_id, id)`` means composite foreign keys everywhere and gives up
SQLite's auto-numbering that ``make run`` uses; that is the sharding migration's own step.
Any other primary key (a natural one, like a customer's scores keyed by the customer) must
include the shop.
"""

from __future__ import annotations

import sqlalchemy as sa

import app.models  # noqa: F401  (every model registered on the metadata)
from app.models import db

# Tables that belong to no shop, each with its reason. Keep this list short.
GLOBAL_TABLES = {
    "shops": "the tenants themselves: the reference table every shard joins to",
    "support_users": "staff who serve every shop (app/models/support.py)",
}


def _keys(table: sa.Table) -> list[tuple[str, list[str]]]:
    keys = [("primary key", [c.name for c in table.primary_key.columns])]
    keys += [
        (f"unique constraint {c.name or ''}".strip(), [col.name for col in c.columns])
        for c in table.constraints
        if isinstance(c, sa.UniqueConstraint)
    ]
    keys += [
        (f"unique index {i.name}", [col.name for col in i.columns])
        for i in table.indexes
        if i.unique
    ]
    return keys


def _is_surrogate_id(table: sa.Table, what: str, columns: list[str]) -> bool:
    surrogate = columns == ["id"] and table.c.id.autoincrement in (True, "auto")
    return what == "primary key" and surrogate


def keys_without_shop(metadata: sa.MetaData) -> list[str]:
    """Each key of a shop's table that lacks ``shop_id``, and each table without the column."""
    problems = []
    for table in metadata.sorted_tables:
        if table.name in GLOBAL_TABLES:
            continue
        if "shop_id" not in table.c:
            problems.append(f"{table.name}: no shop_id column")
            continue
        for what, columns in _keys(table):
            if "shop_id" not in columns and not _is_surrogate_id(table, what, columns):
                problems.append(f"{table.name}: {what} ({', '.join(columns)}) lacks shop_id")
    return problems


def test_every_unique_key_of_a_shops_table_includes_shop_id():
    assert keys_without_shop(db.metadata) == []


def test_the_walk_finds_the_keys_that_lacked_shop_id():
    """The rule itself: the keys this project had before they gained shop_id are reported."""
    metadata = sa.MetaData()
    sa.Table("shops", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "messages",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id")),
        sa.Column("run_id", sa.Integer),
        sa.Column("step", sa.Integer),
        sa.Column("idempotency_key", sa.String(255), unique=True),
        sa.UniqueConstraint("run_id", "step", name="uq_messages_run_id_step"),
    )
    sa.Table(
        "customer_scores",
        metadata,
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id")),
        sa.Column("customer_id", sa.Integer, primary_key=True),
    )
    sa.Table(
        "flow_runs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.Integer, sa.ForeignKey("shops.id")),
        sa.Column("subject_key", sa.String(255)),
        sa.Index("uq_flow_runs_subject", "subject_key", unique=True),
    )
    sa.Table("visits", metadata, sa.Column("id", sa.Integer, primary_key=True))
    assert sorted(keys_without_shop(metadata)) == [
        "customer_scores: primary key (customer_id) lacks shop_id",
        "flow_runs: unique index uq_flow_runs_subject (subject_key) lacks shop_id",
        "messages: unique constraint (idempotency_key) lacks shop_id",
        "messages: unique constraint uq_messages_run_id_step (run_id, step) lacks shop_id",
        "visits: no shop_id column",
    ]
