"""The engagement score and lifecycle stage of planted customers, one of each stage, through
the daily customer scan (RFM first, then engagement, in one job)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.insights.engagement import score_engagement, stage_condition_holds, stage_of_customer
from app.insights.idle import scan_customers
from app.models import (
    Customer,
    CustomerEngagement,
    CustomerScore,
    EngagementStageChange,
    FlowRun,
    Message,
    ShopScope,
    StorefrontEvent,
    db,
    utcnow,
)
from app.models.shop_settings import StorefrontTracking

NOW = utcnow().replace(microsecond=0)


def plant(shop, name: str, *, orders: int = 0, last_days: float | None = None, **extra) -> int:
    """A customer with ``orders`` orders, the last ``last_days`` ago (totals as apply keeps
    them), created a year ago unless ``created_days`` says otherwise."""
    created = NOW - timedelta(days=extra.pop("created_days", 365))
    last = NOW - timedelta(days=last_days) if last_days is not None else None
    first = NOW - timedelta(days=extra.pop("first_days", last_days or 0)) if orders else None
    customer = ShopScope(shop.id).add(
        Customer(
            email=f"{name}@example.com",
            order_count=orders,
            total_spent=Decimal(50 * orders),
            first_order_at=first,
            last_order_at=last,
            created_at=created,
            **extra,
        )
    )
    db.session.flush()
    return customer.id


def mail(shop, customer_id: int, *, opened: int = 0, clicked: int = 0, days: int = 5) -> None:
    """Emails sent ``days`` ago: ``opened`` of them opened, ``clicked`` of those clicked."""
    for n in range(max(opened, clicked)):
        run = ShopScope(shop.id).add(
            FlowRun(
                flow_key="cross_sell",
                subject_key=f"t:{customer_id}:{n}:{days}",
                customer_id=customer_id,
                context={},
                started_at=NOW,
            )
        )
        db.session.flush()
        sent = NOW - timedelta(days=days)
        ShopScope(shop.id).add(
            Message(
                run_id=run.id,
                step=0,
                channel="email",
                customer_id=customer_id,
                recipient="x@example.com",
                idempotency_key=f"k-{customer_id}-{n}-{days}",
                status="sent",
                sent_at=sent,
                opened_at=sent if n < opened else None,
                clicked_at=sent if n < clicked else None,
            )
        )
    db.session.flush()


def views(shop, customer_id: int, count: int, days: int = 2) -> None:
    for n in range(count):
        ShopScope(shop.id).add(
            StorefrontEvent(
                visitor_id=f"v{customer_id}",
                customer_id=customer_id,
                kind="product_viewed",
                product_id=str(n),
                occurred_at=NOW - timedelta(days=days),
            )
        )
    db.session.flush()


def engagement(shop, customer_id: int) -> CustomerEngagement:
    db.session.expire_all()
    row = ShopScope(shop.id).first(
        CustomerEngagement, CustomerEngagement.customer_id == customer_id
    )
    assert row is not None
    return row


def test_each_planted_customer_gets_the_score_and_stage_the_rules_say(shop):
    shop.storefront_tracking = StorefrontTracking(collect_key="k-1")
    c = {
        # first order 10 days ago, just one: new, whatever the score
        "new": plant(shop, "new", orders=1, last_days=10),
        # signed up 5 days ago, no order yet: new too
        "signed_up": plant(shop, "signed_up", created_days=5),
        # 5 orders, the last 20 days ago, 5 opens, 3 clicks, 10 views: everything, 100
        "active": plant(shop, "active", orders=5, last_days=20, first_days=400),
        # 2 orders, the last 120 days ago (10 of 30), 2 opens: 10 + 8 + 6 = 24 of 100: at risk
        "at_risk": plant(shop, "at_risk", orders=2, last_days=120, first_days=300),
        # 1 order 500 days ago, nothing since: 4 of 100, lapsed
        "lapsed": plant(shop, "lapsed", orders=1, last_days=500),
    }
    mail(shop, c["active"], opened=5, clicked=3)
    views(shop, c["active"], 10)
    mail(shop, c["at_risk"], opened=2)
    mail(shop, c["lapsed"], opened=4, days=120)  # outside the 90 days: not counted
    db.session.commit()

    result = scan_customers(shop.id, now=NOW)

    assert result["changed"] == 5 and result["moved"] == 5
    scores = {k: engagement(shop, v).score for k, v in c.items()}
    stages = {k: engagement(shop, v).stage for k, v in c.items()}
    assert scores["active"] == 100
    assert scores["at_risk"] == 24
    assert scores["lapsed"] == 4
    assert stages == {
        "new": "new",
        "signed_up": "new",
        "active": "active",
        "at_risk": "at_risk",
        "lapsed": "lapsed",
    }
    assert stage_of_customer(shop.id, c["at_risk"]) == "at_risk"
    assert stage_of_customer(shop.id, None) == "new"  # a guest: no history


def test_a_shop_without_storefront_tracking_is_scored_out_of_the_other_85_points(shop):
    customer_id = plant(shop, "active", orders=5, last_days=20, first_days=400)
    mail(shop, customer_id, opened=5, clicked=3)
    db.session.commit()

    scan_customers(shop.id, now=NOW)

    assert engagement(shop, customer_id).score == 100  # 85 of 85


def test_a_slipping_regular_is_at_risk_even_with_a_high_score(shop):
    regular = plant(shop, "regular", orders=6, last_days=200, first_days=700)
    mail(shop, regular, opened=5, clicked=3)
    for n in range(8):  # newer buyers push the regular's recency into the bottom quintiles
        plant(shop, f"recent{n}", orders=1, last_days=40 + n, first_days=60)
    db.session.commit()

    scan_customers(shop.id, now=NOW)

    rfm = ShopScope(shop.id).first(CustomerScore, CustomerScore.customer_id == regular)
    assert rfm is not None and rfm.frequency >= 4 and rfm.recency <= 2
    row = engagement(shop, regular)
    assert row.score >= 40
    assert row.stage == "at_risk"


def test_a_rerun_writes_nothing_and_a_stage_move_is_recorded_once(shop):
    customer_id = plant(shop, "fading", orders=2, last_days=80, first_days=300)
    db.session.commit()
    scan_customers(shop.id, now=NOW)
    first = engagement(shop, customer_id)
    assert (first.score, first.stage) == (33, "at_risk")  # 20 + 8 of 85

    assert scan_customers(shop.id, now=NOW + timedelta(hours=1))["changed"] == 0

    # 120 days after the order the recency points drop a step: 10 + 8 of 85 is 21
    later = NOW + timedelta(days=40)
    result = scan_customers(shop.id, now=later)
    assert result == {**result, "changed": 1, "moved": 0}
    row = engagement(shop, customer_id)
    assert (row.score, row.previous_score, row.stage) == (21, 33, "at_risk")

    # a year on: lapsed, one move recorded from at risk
    scan_customers(shop.id, now=NOW + timedelta(days=300))
    row = engagement(shop, customer_id)
    assert (row.stage, row.previous_stage) == ("lapsed", "at_risk")
    moves = db.session.execute(
        sa.select(EngagementStageChange.from_stage, EngagementStageChange.to_stage)
        .where(EngagementStageChange.customer_id == customer_id)
        .order_by(EngagementStageChange.id)
    ).all()
    assert moves == [(None, "at_risk"), ("at_risk", "lapsed")]


def test_erased_customers_are_not_scored_and_other_shops_are_untouched(shop, make_shop):
    other = make_shop(n=2)
    erased = plant(shop, "erased", orders=3, last_days=10, redacted_at=NOW)
    theirs = plant(other, "theirs", orders=3, last_days=10)
    db.session.commit()

    score_engagement(shop.id, NOW)
    db.session.commit()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CustomerEngagement)) == 0
    assert erased and theirs


def test_stage_conditions_read_as_merchants_say_them():
    assert stage_condition_holds("only_at_risk", "at_risk")
    assert not stage_condition_holds("only_at_risk", "active")
    assert stage_condition_holds("not_lapsed", "new")
    assert not stage_condition_holds("not_lapsed", "lapsed")
    assert stage_condition_holds("all", "lapsed")
