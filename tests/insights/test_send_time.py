"""Each customer's best hour, learned from their opens, clicks and orders in the shop's
timezone, with the shop's hour as the prior for customers we know little of."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.insights.send_time import (
    K,
    learn_send_times,
    next_in_hour,
    nightly_send_times,
    preferred_hour,
)
from app.models import AuditLog, Order, PreferredHour, ShopScope, db
from tests.conftest import ts
from tests.support.send_times import plant_emails

NOW = ts("2026-11-20T12:00:00")
WARSAW = ZoneInfo("Europe/Warsaw")


def _hours(shop_id: int) -> dict[int, tuple[int, int]]:
    rows = ShopScope(shop_id).all(PreferredHour)
    return {r.customer_id: (r.hour, r.events) for r in rows}


def _order(customer, at, n: int) -> None:
    ShopScope(customer.shop_id).add(
        Order(
            platform_order_id=f"o-{customer.id}-{n}",
            customer_id=customer.id,
            email=customer.email,
            total=Decimal("50"),
            currency="PLN",
            placed_at=at,
        )
    )
    db.session.commit()


def test_customer_who_opens_at_eight_in_the_evening_summer_and_winter_gets_hour_20(
    shop, make_customer, backends
):
    """20:00 in Warsaw is 18:00 UTC in summer and 19:00 UTC in winter: both count as 20."""
    if not backends.is_postgres:
        pytest.skip("each date's own offset needs PostgreSQL's timezone database")
    ola = make_customer(shop, email="ola@example.com")
    summer = [ts(f"2026-07-{d:02d}T18:05:00") for d in (6, 13, 20)]
    winter = [ts(f"2026-11-{d:02d}T19:10:00") for d in (2, 9)]
    plant_emails(ola, [(at - timedelta(hours=9), at, None) for at in summer + winter])
    _order(ola, ts("2026-10-30T19:40:00"), 1)  # 20:40 in winter time: an order counts too

    assert learn_send_times(shop.id, now=NOW) == {"customers": 1, "events": 6}

    assert _hours(shop.id) == {ola.id: (20, 6)}
    db.session.expire_all()
    assert shop.send_time_prior.hour == 20 and shop.send_time_prior.events == 6
    assert preferred_hour(shop, ola.id) == 20


def test_a_click_counts_beside_its_open(shop, make_customer):
    ana = make_customer(shop, email="ana@example.com")
    opened = ts("2026-11-10T07:00:00")  # 08:00 in Warsaw
    plant_emails(ana, [(opened - timedelta(hours=1), opened, opened + timedelta(minutes=2))])
    learn_send_times(shop.id, now=NOW)
    assert _hours(shop.id) == {ana.id: (8, 2)}


def test_customer_with_few_events_leans_on_the_shops_hour_and_one_with_none_gets_it(
    shop, make_customer
):
    """The shop's customers read at 14:00; Ewa opened once at 22:00 (one stray event), Iga
    five times at 22:00 (K events: hers alone decide), Zofia never (no row: the shop's)."""
    for n in range(4):
        regular = make_customer(shop, email=f"r{n}@example.com")
        plant_emails(
            regular,
            [
                (ts(f"2026-11-0{d}T12:00:00"), ts(f"2026-11-0{d}T13:15:00"), None)
                for d in range(1, 6)
            ],
        )
    ewa = make_customer(shop, email="ewa@example.com")
    plant_emails(ewa, [(ts("2026-11-03T12:00:00"), ts("2026-11-03T21:10:00"), None)])
    iga = make_customer(shop, email="iga@example.com")
    plant_emails(
        iga,
        [
            (ts(f"2026-11-0{d}T12:00:00"), ts(f"2026-11-0{d}T21:20:00"), None)
            for d in range(1, 1 + K)
        ],
    )
    zofia = make_customer(shop, email="zofia@example.com")

    learn_send_times(shop.id, now=NOW)

    hours = _hours(shop.id)
    assert hours[ewa.id] == (14, 1)
    assert hours[iga.id] == (22, K)
    assert zofia.id not in hours
    db.session.expire_all()
    assert shop.send_time_prior.hour == 14
    assert preferred_hour(shop, zofia.id) == 14


def test_relearning_replaces_the_shops_rows_and_leaves_other_shops_alone(
    shop, make_shop, make_customer
):
    other_shop = make_shop(n=2)
    ola = make_customer(shop, email="ola@example.com")
    kasia = make_customer(other_shop, email="kasia@example.com")
    plant_emails(ola, [(ts("2026-11-03T08:00:00"), ts("2026-11-03T09:00:00"), None)])
    plant_emails(kasia, [(ts("2026-11-03T08:00:00"), ts("2026-11-03T15:00:00"), None)])
    learn_send_times(other_shop.id, now=NOW)
    learn_send_times(shop.id, now=NOW)
    plant_emails(
        ola, [(ts(f"2026-11-1{d}T08:00:00"), ts(f"2026-11-1{d}T17:00:00"), None) for d in range(5)]
    )

    learn_send_times(shop.id, now=NOW)

    assert _hours(shop.id) == {ola.id: (18, 6)}
    assert _hours(other_shop.id) == {kasia.id: (16, 1)}


def test_activity_older_than_a_year_is_forgotten(shop, make_customer):
    ola = make_customer(shop, email="ola@example.com")
    plant_emails(ola, [(ts("2025-06-01T08:00:00"), ts("2025-06-01T09:00:00"), None)])
    assert learn_send_times(shop.id, now=NOW) == {"customers": 0, "events": 0}
    db.session.expire_all()
    assert shop.send_time_prior.hour is None
    assert preferred_hour(shop, ola.id) is None


def test_nightly_job_relearns_every_installed_shop(shop, make_shop, make_customer, run_jobs):
    make_shop(n=2, status="uninstalled")
    ola = make_customer(shop, email="ola@example.com")
    plant_emails(ola, [(ts("2026-11-03T08:00:00"), ts("2026-11-03T09:00:00"), None)])

    assert nightly_send_times() == 1
    assert run_jobs("sync") == 1

    assert _hours(shop.id) == {ola.id: (10, 1)}


def test_neighbouring_hours_back_each_other_up(shop, make_customer):
    """Three mornings at 8 against six evenings spread over 19, 20 and 21: the evening."""
    ola = make_customer(shop, email="ola@example.com")
    mornings = [ts(f"2026-11-0{d}T07:10:00") for d in (1, 2, 3)]
    evenings = [ts(f"2026-11-1{d}T{18 + d % 3}:10:00") for d in range(6)]
    plant_emails(ola, [(at - timedelta(hours=1), at, None) for at in mornings + evenings])

    learn_send_times(shop.id, now=NOW)

    assert _hours(shop.id) == {ola.id: (20, 9)}


def test_next_hour_keeps_the_local_hour_across_a_dst_change():
    """Warsaw's clocks go back at 03:00 on 25 October 2026 and forward on 29 March 2026."""
    saturday_noon = ts("2026-10-24T10:00:00")  # 12:00 CEST
    assert next_in_hour(saturday_noon, 20, WARSAW) == ts("2026-10-24T18:00:00")
    after_change = ts("2026-10-25T10:00:00")  # 11:00 CET
    assert next_in_hour(after_change, 20, WARSAW) == ts("2026-10-25T19:00:00")
    # 02:00 does not exist on 29 March: the next 02:00 is the following night.
    spring = ts("2026-03-28T22:00:00")  # 23:00 CET on the 28th
    assert next_in_hour(spring, 2, WARSAW) == ts("2026-03-30T00:00:00")  # 02:00 CEST
    # Inside the hour already: at once.
    assert next_in_hour(ts("2026-11-20T19:30:00"), 20, WARSAW) == ts("2026-11-20T19:30:00")


def test_a_customers_hour_is_in_their_data_export_and_goes_with_their_erasure(shop, make_customer):
    ola = make_customer(shop, email="ola@example.com")
    ana = make_customer(shop, email="ana@example.com")
    for who in (ola, ana):
        plant_emails(who, [(ts("2026-11-03T08:00:00"), ts("2026-11-03T19:00:00"), None)])
    learn_send_times(shop.id, now=NOW)

    apply(
        ev.CustomerDataRequest(
            shop_id=shop.id, request_id="r-1", customer=ev.Contact(email="ola@example.com")
        )
    )
    db.session.commit()
    export = ShopScope(shop.id).first(AuditLog, AuditLog.action == "customer_data_request")
    assert export is not None
    exported = export.details["tables"]["preferred_hours"]
    assert [(r["customer_id"], r["hour"]) for r in exported] == [(ola.id, 20)]

    apply(ev.CustomerRedact(shop_id=shop.id, customer=ev.Contact(email="ola@example.com")))
    db.session.commit()

    assert _hours(shop.id) == {ana.id: (20, 1)}
