"""Every join to a shop's table matches on ``shop_id`` as well as on the row's id.

Citus, sharded on ``shop_id`` (``docs/scaling.md``), joins two distributed tables inside one
shard only when the join condition equates their distribution columns; a join on
``customer_id`` alone would have to move rows between shards, or be refused. The test reads
the source of ``app/`` and fails on a ``.join``/``.outerjoin`` to a mapped table that has
``shop_id`` whose condition does not name it (or that has no condition, leaving SQLAlchemy to
guess it from a foreign key on the bare id).

Joins to derived tables (a subquery or CTE built from one shop's rows, a JSON array's lines,
a constant table) are not checked: every table inside them is filtered on one ``shop_id``, so
the statement goes to that shop's shard whole.
"""

from __future__ import annotations

import ast
import pathlib

import app.models  # noqa: F401  (every model registered)
from app.models import db

APP = pathlib.Path(__file__).resolve().parents[2] / "app"
JOINS = {"join", "outerjoin"}


def shop_owned_models() -> set[str]:
    """Class names of the mapped models whose table has a ``shop_id`` column."""
    return {
        mapper.class_.__name__
        for mapper in db.Model.registry.mappers
        if "shop_id" in mapper.local_table.c
    }


def _aliases(tree: ast.AST, models: set[str]) -> set[str]:
    """Names bound to a model in the file (``c = Customer``, ``line, x = OrderLine, ...``)."""
    names = set(models)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = [(target, node.value)]
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for name, value in pairs:
                named = isinstance(name, ast.Name) and isinstance(value, ast.Name)
                if named and value.id in models:
                    names.add(name.id)
    return names


def joins_without_shop(source: str, filename: str, models: set[str]) -> list[str]:
    """``file:line`` of each join to a shop's table whose condition does not name ``shop_id``."""
    tree = ast.parse(source)
    owned = _aliases(tree, models)
    problems = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in JOINS or not node.args:
            continue
        target = node.args[0]
        if not (isinstance(target, ast.Name) and target.id in owned):
            continue
        condition = "".join(ast.get_source_segment(source, a) or "" for a in node.args[1:])
        if "shop_id" not in condition:
            problems.append(f"{filename}:{node.lineno} joins {target.id} without shop_id")
    return problems


def test_every_join_to_a_shops_table_matches_on_shop_id():
    models = shop_owned_models()
    assert {"Customer", "Order", "OrderLine", "Cart", "CustomerScore"} <= models
    problems: list[str] = []
    files = sorted(APP.rglob("*.py"))
    assert len(files) > 100  # the walk reads the whole app
    for path in files:
        problems += joins_without_shop(path.read_text(), str(path.relative_to(APP)), models)
    assert problems == []


def test_the_walk_reports_a_join_on_the_bare_id_and_accepts_one_on_shop_id():
    models = {"Customer", "Order"}
    source = """
c = Customer
bad = sa.select(Order).join(Customer, Customer.id == Order.customer_id)
aliased = sa.select(Order).outerjoin(c, c.id == Order.customer_id)
guessed = sa.select(Order).join(Customer)
good = sa.select(Order).join(
    Customer, sa.and_(Customer.shop_id == Order.shop_id, Customer.id == Order.customer_id)
)
derived = sa.select(Order).join(totals, totals.c.customer_id == Order.customer_id)
words = ", ".join(names)
"""
    assert joins_without_shop(source, "x.py", models) == [
        "x.py:3 joins Customer without shop_id",
        "x.py:4 joins c without shop_id",
        "x.py:5 joins Customer without shop_id",
    ]
