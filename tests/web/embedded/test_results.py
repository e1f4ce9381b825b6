"""Results per flow over the last 30 days, on a crafted set of runs, messages and orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.models import Customer, CustomerScore, FlowRun, Message, Order, ShopScope, db, utcnow
from app.web.embedded.results import flow_results, segment_counts


def _order(scope: ShopScope, n: int, total: str, **state) -> Order:
    values = {"placed_at": utcnow(), "paid_at": utcnow(), **state}
    order = scope.add(Order(platform_order_id=f"o-{n}", total=Decimal(total), **values))
    db.session.flush()
    return order


def _run(
    scope: ShopScope, n: int, days_ago: int, *, held_out=False, order=None, flow="abandoned_cart"
):
    run = scope.add(
        FlowRun(
            flow_key=flow,
            subject_key=f"cart:{n}",
            state="converted" if order else "completed",
            held_out=held_out,
            started_at=utcnow() - timedelta(days=days_ago),
            converted_order_id=order.id if order else None,
        )
    )
    db.session.flush()
    return run


def _message(scope: ShopScope, run: FlowRun, step: int, days_ago: int, status="sent", **marks):
    sent_at = utcnow() - timedelta(days=days_ago)
    opened = sent_at + timedelta(hours=1) if marks.get("opened") else None
    clicked = sent_at + timedelta(hours=2) if marks.get("clicked") else None
    scope.add(
        Message(
            run_id=run.id,
            flow_key=run.flow_key,  # as delivery stores it
            step=step,
            channel="email",
            recipient=f"r{run.id}@example.com",
            status=status,
            idempotency_key=f"{run.id}-{step}",
            sent_at=sent_at if status == "sent" else None,
            opened_at=opened,
            clicked_at=clicked,
        )
    )


@pytest.fixture()
def crafted(make_shop):
    shop, other = make_shop(n=1), make_shop(n=2)
    scope = ShopScope(shop.id)
    runs = [
        _run(scope, 1, 2, order=_order(scope, 1, "100.00")),
        _run(scope, 2, 5, order=_order(scope, 2, "50.50")),
        _run(scope, 3, 10),
        _run(scope, 4, 29),
    ]
    _run(scope, 5, 40, order=_order(scope, 5, "999.00"))  # older than 30 days: not counted
    for n in range(6, 10):  # holdout: four runs, one converted
        _run(scope, n, 3, held_out=True, order=_order(scope, n, "70.00") if n == 6 else None)
    _message(scope, runs[0], 0, 2, opened=True, clicked=True)
    _message(scope, runs[0], 2, 1, opened=True)
    _message(scope, runs[1], 0, 4)
    _message(scope, runs[2], 0, 9, status="failed")
    _message(scope, runs[3], 0, 35, opened=True, clicked=True)  # sent before the window
    other_scope = ShopScope(other.id)
    other_run = _run(other_scope, 1, 1, order=_order(other_scope, 1, "5000.00"))
    _message(other_scope, other_run, 0, 1, opened=True, clicked=True)
    db.session.commit()
    return shop


def test_results_count_the_last_30_days_of_the_shops_runs_and_messages(crafted):
    results = flow_results(crafted.id, ["abandoned_cart"], utcnow())["abandoned_cart"]
    assert (results.enrolled, results.sent, results.opened, results.clicked) == (4, 3, 2, 1)
    assert (results.conversions, results.revenue) == (2, Decimal("150.50"))
    assert (results.holdout_enrolled, results.holdout_conversions) == (4, 1)
    # 2 of 4 messaged converted against 1 of 4 held out: twice the rate, +100%.
    assert results.lift == pytest.approx(1.0)


def test_lift_is_unknown_without_holdout_conversions(make_shop):
    shop = make_shop()
    scope = ShopScope(shop.id)
    _run(scope, 1, 1, order=_order(scope, 1, "10.00"))
    _run(scope, 2, 1, held_out=True)
    db.session.commit()
    results = flow_results(shop.id, ["abandoned_cart"], utcnow())["abandoned_cart"]
    assert results.conversions == 1 and results.lift is None


def test_revenue_is_read_from_the_orders_now_net_of_refunds_and_only_once_paid(make_shop):
    shop = make_shop()
    scope = ShopScope(shop.id)
    refunded = _order(scope, 1, "100.00", refunded=Decimal("30.00"))
    cod = _order(scope, 2, "80.00", paid_at=None, is_cod=True)  # placed, paid on delivery
    cancelled = _order(scope, 3, "60.00", cancelled=True)
    for n, order in enumerate((refunded, cod, cancelled)):
        _run(scope, n, 1, order=order)
    db.session.commit()
    results = flow_results(shop.id, ["abandoned_cart"], utcnow())["abandoned_cart"]
    # The refund lowers it, the unpaid COD order converts but earns nothing yet, and the
    # cancelled order neither converts nor earns.
    assert (results.conversions, results.revenue) == (2, Decimal("70.00"))

    cod.paid_at = utcnow()  # the courier handed the parcel over and collected the money
    db.session.commit()
    results = flow_results(shop.id, ["abandoned_cart"], utcnow())["abandoned_cart"]
    assert results.revenue == Decimal("150.00")


def test_home_shows_each_flows_results_in_the_shops_money_and_the_lift_in_words(merchant, crafted):
    page = merchant(crafted).get("/embedded/").get_data(as_text=True)
    card = page.split('id="flow-abandoned_cart"')[1].split("</section>")[0]
    assert '<dd data-k="sent">3</dd>' in card
    assert '<dd data-k="conversions">2</dd>' in card
    assert '<dd data-k="revenue">150,50\xa0zł</dd>' in card  # Babel's Polish złoty
    # 2 of 4 against 1 of 4 is one more order, but four runs a side prove nothing yet.
    assert "Za wcześnie, by ocenić" in card


def test_segment_counts_group_the_shops_scored_customers(make_shop):
    shop, other = make_shop(n=1), make_shop(n=2)
    scores = {"champions": (5, 5, 5), "loyal": (3, 4, 2), "new": (5, 1, 1), "at_risk": (1, 3, 4)}
    scores |= {"hibernating": (2, 1, 1), "others": (3, 2, 3)}
    for n, (recency, frequency, monetary) in enumerate(scores.values()):
        customer = ShopScope(shop.id).add(Customer(email=f"c{n}@example.com"))
        db.session.flush()
        ShopScope(shop.id).add(
            CustomerScore(
                customer_id=customer.id, recency=recency, frequency=frequency, monetary=monetary
            )
        )
    stranger = ShopScope(other.id).add(Customer(email="x@example.com"))
    db.session.flush()
    ShopScope(other.id).add(
        CustomerScore(customer_id=stranger.id, recency=5, frequency=5, monetary=5)
    )
    db.session.commit()
    assert segment_counts(shop.id) == dict.fromkeys(scores, 1)
