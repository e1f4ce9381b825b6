"""Every change support staff make is written to ``AuditLog``, in the same transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models import AuditLog, Shop, ShopScope
from app.web.admin.auth import actor


def changed_fields(model: Any) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the attributes changed on this (unflushed) row."""
    changes: dict[str, list[Any]] = {}
    for attr in sa.inspect(model).attrs:
        history = attr.load_history()
        if history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changes[attr.key] = [_plain(before), _plain(after)]
    return changes


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def shop_id_of(model: Any) -> int:
    return int(model.id if isinstance(model, Shop) else model.shop_id)


def record(model: Any, action: str, details: dict[str, Any]) -> None:
    """Write the entry under the row's shop (audit rows are shop-owned, like the data)."""
    subject = f"{type(model).__tablename__}:{model.id}"
    ShopScope(shop_id_of(model)).add(
        AuditLog(actor=actor(), action=action, subject=subject, details=details)
    )
