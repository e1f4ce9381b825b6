"""The lifecycle condition every marketing flow has (``lifecycle_stages``): checked when a
message is due, on the stage the daily scan gave the customer. Shown on the win-back flow,
whose daily scan both scores the customers and enrolls the idle ones."""

from __future__ import annotations

import pytest

from app.flows import abandoned_cart, reactivation
from app.flows.engine.settings import SettingError, save_settings
from app.models import CustomerEngagement, FlowRun, ShopScope, db
from tests.flows.test_reactivation import paid_order, scan, switch


@pytest.fixture()
def two_idle_customers(flow_shop, sim_clock, shop_events):
    """Ola bought once 120 days ago (at risk); Ewa once 500 days ago (lapsed). Both idle."""
    switch(flow_shop, holdout_percent=0)
    shop_events("order/paid", paid_order("o-ola", "ola", days_ago=120))
    shop_events("order/paid", paid_order("o-ewa", "ewa", days_ago=500))
    return flow_shop


def _run_of(shop_id: int, who: str) -> FlowRun:
    db.session.expire_all()
    (run,) = [
        r
        for r in ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == reactivation.KEY)
        if r.context.get("email") == f"{who}@example.com"
    ]
    return run


@pytest.mark.parametrize(
    ("condition", "gets_mail", "held_back"),
    [("not_lapsed", "ola", "ewa"), ("only_lapsed", "ewa", "ola")],
)
def test_the_stage_condition_holds_one_customer_back_and_lets_the_other_go(
    two_idle_customers, tick, mailbox, condition, gets_mail, held_back
):
    shop = two_idle_customers
    switch(shop, lifecycle_stages=condition)

    assert scan(shop)["idle"] == 2
    stages = {row.customer_id: row.stage for row in ShopScope(shop.id).all(CustomerEngagement)}
    assert sorted(stages.values()) == ["at_risk", "lapsed"]
    tick(minutes=1)

    assert [m["To"] for m in mailbox.received] == [f"{gets_mail}@example.com"]
    stopped = _run_of(shop.id, held_back)
    assert (stopped.state, stopped.end_reason) == ("cancelled", "lifecycle_stage")
    assert _run_of(shop.id, gets_mail).state == "active"  # its second email still to come


def test_without_a_condition_both_customers_get_their_email(two_idle_customers, tick, mailbox):
    scan(two_idle_customers)
    tick(minutes=1)

    assert sorted(m["To"] for m in mailbox.received) == ["ewa@example.com", "ola@example.com"]


def test_an_unknown_stage_condition_is_refused_and_not_stored(flow_shop):
    with pytest.raises(SettingError, match="lifecycle_stages must be one of"):
        save_settings(flow_shop.id, abandoned_cart.FLOW, {"lifecycle_stages": "sometimes"})
    db.session.rollback()
    with pytest.raises(SettingError):
        save_settings(flow_shop.id, abandoned_cart.FLOW, {"lifecycle_stages": "only_vip"})
