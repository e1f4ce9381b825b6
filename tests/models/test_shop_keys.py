"""Every shop's table finds a shop's rows by exactly one index leading with ``shop_id``.

The scoped reads (``ShopScope``) and a shop's deletion (its rows cascade) look rows up by
``shop_id``: each table needs an index that leads with it, and a partial index (``WHERE
state = 'active'``) does not serve them all. An index on ``shop_id`` alone beside another one
leading with it serves nothing the other does not, and costs a write on every insert
(``ShopOwned.shop_id_index``). The test walks the models' metadata, so a new table or index
that breaks either rule fails here.
"""

from __future__ import annotations

import sqlalchemy as sa

import app.models  # noqa: F401  (every model registered on the metadata)
from app.models import db
from tests.models.test_keys import GLOBAL_TABLES


def _leading(table: sa.Table) -> list[tuple[str, list[str], bool]]:
    """Every index-backed key of the table: (name, columns, whether partial)."""
    found = [("primary key", [c.name for c in table.primary_key.columns], False)]
    found += [
        (str(c.name), [col.name for col in c.columns], False)
        for c in table.constraints
        if isinstance(c, sa.UniqueConstraint)
    ]
    for index in table.indexes:
        where = index.dialect_options["postgresql"].get("where")
        found.append((str(index.name), [col.name for col in index.columns], where is not None))
    return found


def shop_index_problems(metadata: sa.MetaData) -> list[str]:
    problems = []
    for table in metadata.sorted_tables:
        if table.name in GLOBAL_TABLES or "shop_id" not in table.c:
            continue
        leading = [
            (name, columns) for name, columns, partial in _leading(table)
            if columns and columns[0] == "shop_id" and not partial
        ]  # fmt: skip
        if not leading:
            problems.append(f"{table.name}: no index leads with shop_id")
        alone = [name for name, columns in leading if columns == ["shop_id"]]
        if alone and len(leading) > 1:
            others = ", ".join(name for name, columns in leading if columns != ["shop_id"])
            problems.append(f"{table.name}: {alone[0]} repeats what {others} already serve")
    return problems


def test_every_shop_table_has_one_index_leading_with_shop_id_and_none_repeating_it() -> None:
    checked = [t for t in db.metadata.sorted_tables if "shop_id" in t.c]
    assert len(checked) > 25  # the walk saw the shops' tables
    assert shop_index_problems(db.metadata) == []


def test_an_index_on_shop_id_alone_beside_a_leading_key_is_reported() -> None:
    metadata = sa.MetaData()
    sa.Table("shops", metadata, sa.Column("id", sa.Integer, primary_key=True))
    table = sa.Table(
        "things",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.ForeignKey("shops.id"), index=True),
        sa.Column("key", sa.String(10)),
        sa.UniqueConstraint("shop_id", "key", name="uq_things_shop_key"),
    )
    assert shop_index_problems(metadata) == [
        "things: ix_things_shop_id repeats what uq_things_shop_key already serve"
    ]
    table.indexes.clear()
    assert shop_index_problems(metadata) == []


def test_a_table_found_by_shop_only_through_a_partial_index_is_reported() -> None:
    metadata = sa.MetaData()
    sa.Table("shops", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "runs",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shop_id", sa.ForeignKey("shops.id")),
        sa.Column("state", sa.String(10)),
        sa.Index("ix_runs_active", "shop_id", postgresql_where=sa.text("state = 'active'")),
    )
    assert shop_index_problems(metadata) == ["runs: no index leads with shop_id"]
