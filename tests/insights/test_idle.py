"""The daily customer scan: idle customers by their own rhythm, and RFM scores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.events import types as ev
from app.events.apply import apply
from app.insights.idle import scan_customers
from app.insights.segments import rfm_at_least, rfm_scores
from app.models import Customer, FlowSetting, IdleEmission, ShopScope, db, utcnow

NOW = utcnow().replace(microsecond=0)


def customer(shop_id: int, name: str, *days_ago: float, total: str = "50", cancelled=()) -> int:
    """A customer with one paid order ``days_ago`` days before NOW for each value given."""
    contact = ev.Contact(email=f"{name}@example.com", platform_customer_id=name)
    apply(ev.CustomerUpdated(shop_id=shop_id, customer=contact, updated_at=NOW - timedelta(1000)))
    for n, days in enumerate(days_ago):
        at = NOW - timedelta(days=days)
        kind = ev.OrderCancelled if n in cancelled else ev.OrderPaid
        apply(
            kind(
                shop_id=shop_id,
                order_id=f"{name}-{n}",
                customer=contact,
                total=Decimal(total),
                created_at=at,
                updated_at=at,
            )
        )
    db.session.flush()
    return ShopScope(shop_id).first(Customer, Customer.platform_customer_id == name).id


def emitted_before(shop_id: int, customer_id: int, days_ago: int) -> None:
    ShopScope(shop_id).add(
        IdleEmission(
            customer_id=customer_id,
            last_order_at=NOW - timedelta(days=400),
            emitted_at=NOW - timedelta(days=days_ago),
        )
    )


def test_idle_scan_picks_exactly_the_customers_past_their_own_rhythm(shop, idle_events):
    c = {
        "never_bought": customer(shop.id, "never_bought"),
        "only_cancelled": customer(shop.id, "only_cancelled", 120, cancelled={0}),
        "recent": customer(shop.id, "recent", 200, 30),
        "lapsed": customer(shop.id, "lapsed", 120),
        # every 100 days: 150 days of silence is still within 2 x 100
        "slow_rhythm": customer(shop.id, "slow_rhythm", 450, 350, 250, 150),
        # every 60 days: idle after 2 x 60 = 120 days, not after 90
        "slow_rhythm_idle": customer(shop.id, "slow_rhythm_idle", 310, 250, 190, 130),
        "slow_rhythm_not_yet": customer(shop.id, "slow_rhythm_not_yet", 280, 220, 160, 100),
        # every 10 days: the shop's 90 days still apply, a fast rhythm never shortens them
        "fast_rhythm": customer(shop.id, "fast_rhythm", 115, 105, 95),
        # two orders: too few for a rhythm, the shop's 90 days decide
        "two_orders": customer(shop.id, "two_orders", 300, 100),
        "in_cooldown": customer(shop.id, "in_cooldown", 300),
        "cooldown_over": customer(shop.id, "cooldown_over", 300),
    }
    emitted_before(shop.id, c["in_cooldown"], days_ago=100)
    emitted_before(shop.id, c["cooldown_over"], days_ago=200)
    db.session.commit()

    result = scan_customers(shop.id, now=NOW)

    idle = {e.customer_id: e for e in idle_events}
    names = {name for name, cid in c.items() if cid in idle}
    assert names == {"lapsed", "slow_rhythm_idle", "fast_rhythm", "two_orders", "cooldown_over"}
    assert result["idle"] == 5
    assert idle[c["lapsed"]].days_idle == 120
    assert idle[c["lapsed"]].last_order_at == NOW - timedelta(days=120)


def test_second_scan_within_the_cooldown_emits_nobody_again(shop, idle_events):
    customer(shop.id, "lapsed", 120)
    db.session.commit()
    scan_customers(shop.id, now=NOW)

    second = scan_customers(shop.id, now=NOW + timedelta(days=179))

    assert second["idle"] == 0
    assert len(idle_events) == 1
    assert db.session.scalar(sa.select(sa.func.count(IdleEmission.id))) == 1


def test_shop_setting_changes_the_idle_threshold(shop, idle_events):
    lapsed = customer(shop.id, "lapsed", 120)
    customer(shop.id, "quiet", 50)
    ShopScope(shop.id).add(FlowSetting(flow_key="reactivation", values={"idle_days": "45"}))
    db.session.commit()

    scan_customers(shop.id, now=NOW)

    assert len(idle_events) == 2 and lapsed in {e.customer_id for e in idle_events}


def test_idle_scan_stays_inside_its_shop(shop, make_shop, idle_events):
    other = make_shop(n=2)
    customer(other.id, "elsewhere", 200)
    db.session.commit()

    assert scan_customers(shop.id, now=NOW)["idle"] == 0
    assert idle_events == []


def test_rfm_scores_rank_customers_into_quintiles(shop):
    ids = [customer(shop.id, f"c{n}", 10 * (5 - n), total=str(100 * (n + 1))) for n in range(5)]
    customer(shop.id, "never")  # no orders: no scores
    db.session.commit()

    assert scan_customers(shop.id, now=NOW)["scored"] == 5

    monetary = [rfm_scores(shop.id, cid).monetary for cid in ids]
    recency = [rfm_scores(shop.id, cid).recency for cid in ids]
    assert monetary == [1, 2, 3, 4, 5]
    assert recency == [1, 2, 3, 4, 5]  # c4 ordered most recently
    assert [rfm_scores(shop.id, cid).frequency for cid in ids] == [5] * 5  # all equal: all top


def test_rfm_condition_for_flows(shop):
    big = customer(shop.id, "big", 10, total="900")
    small = customer(shop.id, "small", 10, total="10")
    never = customer(shop.id, "never")
    db.session.commit()
    scan_customers(shop.id, now=NOW)
    scope = ShopScope(shop.id)

    assert rfm_at_least(scope.get(Customer, big), monetary=4)
    assert not rfm_at_least(scope.get(Customer, small), monetary=4)  # 2 of 2: score 3
    assert not rfm_at_least(scope.get(Customer, never))


def test_rescoring_writes_only_changed_scores_and_drops_customers_without_orders(shop):
    ids = [customer(shop.id, f"c{n}", 10 * (5 - n), total=str(100 * (n + 1))) for n in range(5)]
    db.session.commit()
    scan_customers(shop.id, now=NOW)

    assert scan_customers(shop.id, now=NOW)["scored"] == 0  # nothing changed, nothing written

    apply(
        ev.OrderCancelled(
            shop_id=shop.id,
            order_id="c4-0",
            customer=ev.Contact(email="c4@example.com", platform_customer_id="c4"),
            total=Decimal("500"),
            created_at=NOW - timedelta(days=10),
            updated_at=NOW,
        )
    )
    db.session.commit()

    assert scan_customers(shop.id, now=NOW)["scored"] == 4  # four customers now, shares move
    assert rfm_scores(shop.id, ids[4]) is None
    assert [rfm_scores(shop.id, cid).monetary for cid in ids[:4]] == [2, 3, 4, 5]
