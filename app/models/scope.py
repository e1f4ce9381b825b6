"""Tenant isolation: every query on shop-owned rows goes through ``ShopScope``.

``ShopScope(shop_id)`` builds statements filtered on ``shop_id`` and refuses to hand out or
write rows of another shop. ``guard()`` adds a session-wide net on top: while it is open, any
ORM SELECT, UPDATE or DELETE on a shop-owned model is filtered to that shop, even one written
without the helper.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.models.base import ShopOwned, db
from app.models.batch import locked_row

T = TypeVar("T", bound=ShopOwned)
_GUARD_KEY = "storeflow_guard_shop_id"
SHOP_PARAM = "scope_shop_id"  # the shop's parameter in statements built by ``shop_rows``


def shop_rows(model: type[T], *criteria: Any) -> sa.Select[Any]:
    """A SELECT of a shop's rows built once (at import) instead of on every call: the shop and
    every value that varies are named parameters (``sa.bindparam``), given when
    ``ShopScope.run`` executes it. Building a statement and hashing it for SQLAlchemy's cache
    costs more than running it on the hot path (a worker's deliveries)."""
    return sa.select(model).where(model.shop_id == sa.bindparam(SHOP_PARAM), *criteria)


def shop_row_ids(model: type[T], *criteria: Any) -> sa.Select[Any]:
    """``shop_rows`` reading one matching id: whether such a row exists (``ShopScope.has``)."""
    stmt = sa.select(model.id).where(model.shop_id == sa.bindparam(SHOP_PARAM), *criteria)  # type: ignore[attr-defined]
    return stmt.limit(1)


class TenantError(LookupError):
    """A row of another shop was asked for or written through a shop's scope."""


class ShopScope:
    def __init__(self, shop_id: int, session: Session | None = None) -> None:
        if not isinstance(shop_id, int):
            raise TypeError("ShopScope needs an integer shop id")
        self.shop_id = shop_id
        self._session = session

    @property
    def session(self) -> Session:
        return self._session if self._session is not None else db.session()

    def select(self, model: type[T], *criteria: Any) -> sa.Select[T]:
        return sa.select(model).where(model.shop_id == self.shop_id, *criteria)

    def update(self, model: type[T], *criteria: Any) -> sa.Update:
        return sa.update(model).where(model.shop_id == self.shop_id, *criteria)

    def delete(self, model: type[T], *criteria: Any) -> sa.Delete:
        return sa.delete(model).where(model.shop_id == self.shop_id, *criteria)

    def all(self, model: type[T], *criteria: Any) -> list[T]:
        return list(self.session.scalars(self.select(model, *criteria)))

    def first(self, model: type[T], *criteria: Any) -> T | None:
        return self.session.scalars(self.select(model, *criteria).limit(1)).first()

    def run(self, stmt: sa.Executable, **params: Any) -> sa.Result[Any]:
        """Execute a statement built once by ``shop_rows`` for this shop's rows."""
        return self.session.execute(stmt, {**params, SHOP_PARAM: self.shop_id})

    def has(self, stmt: sa.Executable, **params: Any) -> bool:
        """Whether a statement built by ``shop_row_ids`` finds a row of this shop."""
        return self.run(stmt, **params).first() is not None

    def by_key(self, model: type[T], column: str, value: Any) -> T | None:
        """The shop's row whose unique ``column`` holds ``value``: in a batch of deliveries,
        the row its transaction holds locked, with no query; else the database's."""
        row = locked_row(self.session, model, self.shop_id, column, value)
        if row is not None:
            return row
        return self.first(model, getattr(model, column) == value)

    def get(self, model: type[T], row_id: int, *, for_update: bool = False) -> T | None:
        """The row with this id if it belongs to this shop, else None."""
        if not for_update:
            # By primary key: a row this session holds already costs no query (a SELECT would
            # not refresh its loaded attributes either); the shop is checked on the row.
            row = self.session.get(model, row_id)
            return row if row is not None and row.shop_id == self.shop_id else None
        stmt = self.select(model, model.id == row_id)  # type: ignore[attr-defined]
        # The lock is only worth its wait if we then see the row as it is now, not as this
        # session loaded it before another transaction committed a change.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def add(self, row: T) -> T:
        if getattr(row, "shop_id", None) not in (None, self.shop_id):
            raise TenantError(f"row belongs to shop {row.shop_id}, not {self.shop_id}")
        row.shop_id = self.shop_id
        self.session.add(row)
        return row

    @contextmanager
    def guard(self) -> Iterator[ShopScope]:
        """Filter every ORM statement of the session to this shop while the block runs."""
        previous = self.session.info.get(_GUARD_KEY)
        self.session.info[_GUARD_KEY] = self.shop_id
        try:
            yield self
        finally:
            if previous is None:
                self.session.info.pop(_GUARD_KEY, None)
            else:
                self.session.info[_GUARD_KEY] = previous


@event.listens_for(Session, "do_orm_execute")
def _apply_shop_guard(state: ORMExecuteState) -> None:
    shop_id = state.session.info.get(_GUARD_KEY)
    if shop_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(ShopOwned, lambda cls: cls.shop_id == shop_id, include_aliases=True)
    )
