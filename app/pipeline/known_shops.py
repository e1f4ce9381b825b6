"""The shops the ingest endpoints receive for, remembered per web process for a short while.

Every webhook delivery and every collector batch names its shop by platform and domain; reading
that row on each request was one of the round trips that made ingest slow (issue 18). Each web
process keeps the shops it has seen, loaded whole and detached from any session, for ``TTL``
seconds.

What keeps a remembered shop from being wrong for long:

- A change made in this process (connect, uninstall, settings, through the ORM) forgets the
  shop at once: a flush that touches a ``Shop`` marks it, its commit or rollback forgets it.
- A change made in another process (a worker handling ``app/uninstalled``, another web
  process) is seen after at most ``TTL`` seconds.
- Whoever refuses a request because of what the remembered shop says (a signature that does
  not verify, a collect key or origin that does not match, a shop not active) asks again with
  ``reload`` first and decides on the fresh row: a rotated secret works at once.
- Unknown shops are not remembered, so a shop installed a moment ago is found on its first
  delivery.

A stale answer inside the TTL is safe where it can happen: an uninstalled shop still looks
active for a few seconds and its deliveries are stored, but the worker reads the shop again and
ignores them (``ingest.CLOSED_STATUSES``), exactly as for a delivery that was in flight at the
uninstall.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import Shop, db
from app.models.sql import UNREACHABLE

TTL = 30.0  # seconds a remembered shop is trusted without asking the database
MAX_SHOPS = 20_000  # per process; beyond it the oldest half is dropped
_EXTENSION = "storeflow_known_shops"
_CHANGED = "storeflow_changed_shops"

Key = tuple[str, str]


def _remembered(app: Flask | None = None) -> dict[Key, tuple[float, Shop]]:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.extensions.setdefault(_EXTENSION, {})


def find(
    platform: str, domain: str, *, stale_when_unreachable: bool = False
) -> tuple[Shop | None, bool]:
    """The shop and whether it was just read from the database (False: remembered).

    ``stale_when_unreachable``: with the database unreachable, a shop remembered longer than
    ``TTL`` ago is answered rather than the error: for the collector, which holds views through
    an outage (``view_buffer``) and would otherwise refuse them after ``TTL`` seconds of it."""
    found = _remembered().get((platform, domain))
    if found is not None and found[0] > time.monotonic():
        return found[1], False
    try:
        return reload(platform, domain), True
    except UNREACHABLE:
        if stale_when_unreachable and found is not None:
            return found[1], False
        raise


def reload(platform: str, domain: str) -> Shop | None:
    """The shop as the database has it now, remembered afresh (None is not remembered)."""
    # A session of its own: the object outlives it detached, with every column loaded, and
    # the request's session (and anything a test holds in it) is left alone.
    with Session(db.engine) as session:
        shop = session.scalars(
            sa.select(Shop).where(Shop.platform == platform, Shop.domain == domain)
        ).first()
    remembered = _remembered()
    if shop is None:
        remembered.pop((platform, domain), None)
        return None
    if len(remembered) >= MAX_SHOPS:
        # A snapshot, and pop: safe even if another thread of this process changes the dict.
        oldest = sorted(list(remembered.items()), key=lambda item: item[1][0])
        for key, _ in oldest[: MAX_SHOPS // 2]:
            remembered.pop(key, None)
    remembered[(platform, domain)] = (time.monotonic() + TTL, shop)
    return shop


def forget_all(app: Flask | None = None) -> None:
    _remembered(app).clear()


@event.listens_for(Session, "after_flush")
def _note_changed_shops(session: Session, _context: Any) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Shop):
            changed.add((obj.platform, obj.domain))
    _forget(changed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_changed_shops(session: Session) -> None:
    _forget(session.info.pop(_CHANGED, set()))


def _forget(keys: set[Key]) -> None:
    if not keys or not has_app_context():
        return
    remembered = _remembered()
    for key in keys:
        remembered.pop(key, None)
