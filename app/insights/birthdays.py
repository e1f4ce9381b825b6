"""The birthday scan: consenting customers whose birthday is ``days_before`` days away.

Run every hour by ``rq cron`` for each shop with the birthday flow on, in the shop's own
calendar (its timezone decides what "today" is). A customer is found when their birthday falls
within the next ``days_before`` days (today included): on the day it is due, or later when the
flow was switched on late or a scan was missed, but never after the birthday itself. The
message goes at ``send_hour`` on the day they were found (``BirthdayComing.send_at``).

29 February: in a year without one, the birthday is celebrated on 28 February (the last day
of the person's birth month, so the message is not a day late and never slips into March).

Like the idle scan, the finding is ONE statement per shop (INSERT ... SELECT ... ON CONFLICT
DO NOTHING RETURNING) recording each find in ``lifecycle_emissions`` under the year the
birthday falls in: once a year per customer, and a rerun finds nobody new.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from rq import Retry

from app.events import types as events
from app.events.apply import apply
from app.logs import fields as log_fields
from app.models import (
    BIRTHDAY_FLOW_KEY,
    Customer,
    FlowSetting,
    LifecycleEmission,
    Shop,
    ShopScope,
    db,
    utcnow,
)
from app.models.base import UTCDateTime
from app.models.sql import dialect_insert
from app.pipeline import queues

log = logging.getLogger(__name__)
KIND = "birthday"


@dataclass(frozen=True)
class BirthdaySettings:
    days_before: int = 3
    send_hour: int = 10

    @classmethod
    def for_shop(cls, shop_id: int) -> BirthdaySettings | None:
        """The flow's settings, or None while the shop has the flow off (nothing to find)."""
        row = ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == BIRTHDAY_FLOW_KEY)
        if row is None or not row.enabled:
            return None
        values: dict[str, Any] = row.values or {}
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in values.items() if k in known})


def celebrated_on(birthday: date, year: int) -> date:
    """The day a birthday is celebrated in ``year`` (28 February for 29 February)."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, birthday.month, birthday.day)


def due_dates(today: date, days_before: int) -> dict[int, date]:
    """month * 100 + day of each birth date whose celebration falls in [today, today + N],
    with the day it is celebrated on."""
    found: dict[int, date] = {}
    for offset in range(days_before + 1):
        day = today + timedelta(days=offset)
        found[day.month * 100 + day.day] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found[229] = day
    return found


def _month_day() -> sa.ColumnElement[Any]:
    birthday = Customer.birthday
    return sa.extract("month", birthday) * 100 + sa.extract("day", birthday)


def birthday_statement(shop_id: int, due: dict[int, date], now: datetime) -> Any:
    """Record the customers whose birthday is due (once a year each), returning who."""
    month_day = _month_day()
    year = sa.case({md: str(day.year) for md, day in due.items()}, value=month_day)
    found = ShopScope(shop_id).select(
        Customer,
        Customer.birthday.is_not(None),
        month_day.in_(list(due)),
        Customer.email.is_not(None),
        Customer.email_consent == "granted",
        Customer.redacted_at.is_(None),
    )
    columns = found.with_only_columns(
        sa.literal(shop_id).label("shop_id"),
        sa.literal(KIND).label("kind"),
        Customer.id,
        year.label("key"),
        sa.literal(now, UTCDateTime()).label("emitted_at"),
    )
    return (
        dialect_insert(LifecycleEmission)
        .from_select(["shop_id", "kind", "customer_id", "key", "emitted_at"], columns)
        .on_conflict_do_nothing()
        .returning(LifecycleEmission.customer_id)
    )


def find_birthdays(shop: Shop, now: datetime) -> list[events.BirthdayComing]:
    """Record and describe the customers whose birthday message is due; the caller commits."""
    settings = BirthdaySettings.for_shop(shop.id)
    if settings is None:
        return []
    zone = shop.zone
    today = now.astimezone(zone).date()
    due = due_dates(today, settings.days_before)
    found = db.session.scalars(birthday_statement(shop.id, due, now)).all()
    if not found:
        return []
    birthdays = dict(
        db.session.execute(
            ShopScope(shop.id)
            .select(Customer, Customer.id.in_(found))
            .with_only_columns(Customer.id, Customer.birthday)
        ).all()
    )
    send_at = datetime.combine(today, time(settings.send_hour), tzinfo=zone).astimezone(now.tzinfo)
    return [
        events.BirthdayComing(
            shop_id=shop.id,
            customer_id=customer_id,
            birthday=due[born.month * 100 + born.day],
            send_at=send_at,
        )
        for customer_id, born in sorted(birthdays.items())
        if born is not None
    ]


@queues.job("sync", timeout=1200, retry=Retry(max=2, interval=[60, 600]))
def scan_birthdays(shop_id: int, now: datetime | None = None) -> int:
    """One shop's birthday scan: report whose birthday is near, let the flows react."""
    now = now or utcnow()
    # Locking the shop row makes a second scan of the shop wait, then find nobody new.
    shop = db.session.get(Shop, shop_id, with_for_update=True)
    if shop is None or shop.status != "active":
        db.session.rollback()
        return 0
    found = find_birthdays(shop, now)
    for event in found:
        apply(event)
    db.session.commit()
    log.info("birthday scan", extra=log_fields(shop=shop_id, customers=len(found)))
    return len(found)


@queues.job("sync", timeout=300, retry=Retry(max=2, interval=[60, 600]))
def birthday_scan() -> int:
    """Enqueue the birthday scan of every active shop with the flow on (run by ``rq cron``)."""
    shop_ids = db.session.scalars(
        sa.select(Shop.id)
        .join(FlowSetting, FlowSetting.shop_id == Shop.id)
        .where(
            Shop.status == "active",
            FlowSetting.flow_key == BIRTHDAY_FLOW_KEY,
            FlowSetting.enabled,
        )
    ).all()
    slot = utcnow().strftime("%Y%m%d%H")
    for shop_id in shop_ids:
        queues.enqueue(scan_birthdays, shop_id, job_id=f"birthday-scan-{shop_id}-{slot}")
    return len(shop_ids)
