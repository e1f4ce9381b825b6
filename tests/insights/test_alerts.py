"""Staff alerts: each rule fires once per customer per period, few alerts go one email each
and many go as one digest (to the local SMTP server), the webhook's body is signed with the
shop's secret (checked by recomputing the HMAC on what ``responses`` received), private
addresses are refused, and erasing a customer erases the alerts that name them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import responses

from app.events import types as ev
from app.events.apply import apply
from app.insights.alert_delivery import SECRET_KEY, notify_staff, post_alert_webhook
from app.insights.alert_rules import RuleError, add_rule, save_destinations
from app.insights.alerts import period_start, raise_alerts, scan_alerts
from app.insights.idle import scan_customers
from app.models import (
    Cart,
    Customer,
    CustomerEngagement,
    CustomerScore,
    EngagementStageChange,
    ShopScope,
    StaffAlert,
    StorefrontEvent,
    db,
    utcnow,
)
from app.models.shop_settings import StaffAlertSettings
from tests.support.shopping import add_product

# Mid-morning today: periods of a day hold every "a few minutes later" of these tests.
NOW = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
# A public address written as an IP literal: resolving it needs no DNS (example.com's).
HOOK = "https://93.184.215.14/hooks/storeflow"


def known(shop, name: str = "ola", **extra) -> Customer:
    customer = ShopScope(shop.id).add(
        Customer(email=f"{name}@example.com", first_name=name.capitalize(), **extra)
    )
    db.session.flush()
    return customer


def alerts(shop) -> list[StaffAlert]:
    db.session.expire_all()
    return ShopScope(shop.id).all(StaffAlert)


def abandoned_cart(shop, customer, total: str, hours_ago: float, key: str = "c-1") -> None:
    ShopScope(shop.id).add(
        Cart(
            cart_key=key,
            customer_id=customer.id,
            email=customer.email,
            items=[{"product_id": "1", "quantity": 1, "unit_price": total}],
            total=Decimal(total),
            currency="PLN",
            platform_updated_at=NOW - timedelta(hours=hours_ago),
        )
    )
    db.session.commit()


@pytest.fixture()
def staff(shop):
    """The shop's staff address and webhook set as the merchant would."""
    save_destinations(shop, ["staff@shop.example"], "")
    db.session.commit()
    return shop


def test_a_big_abandoned_cart_alerts_once_per_period_and_again_in_the_next(shop):
    rule = add_rule(shop.id, "cart_abandoned", threshold=Decimal("300"), period_days=1)
    big, small = known(shop, "ola"), known(shop, "ewa")
    abandoned_cart(shop, big, "450.00", hours_ago=2)
    abandoned_cart(shop, small, "120.00", hours_ago=2, key="c-2")
    fresh = known(shop, "jan")
    abandoned_cart(shop, fresh, "900.00", hours_ago=0.5, key="c-3")  # not abandoned yet

    assert scan_alerts(shop.id, now=NOW) == 1
    assert scan_alerts(shop.id, now=NOW + timedelta(minutes=5)) == 0
    assert scan_alerts(shop.id, now=NOW + timedelta(days=1)) == 2  # next period: Ola, and Jan

    rows = alerts(shop)
    assert {(a.customer_id, a.rule_id) for a in rows} == {(big.id, rule.id), (fresh.id, rule.id)}
    first = min(rows, key=lambda a: a.id)
    assert first.detail == {"cart_total": 450, "currency": "PLN"}


def test_a_customer_who_ordered_after_leaving_the_cart_is_no_alert(shop):
    add_rule(shop.id, "cart_abandoned", threshold=Decimal("300"))
    customer = known(shop)
    abandoned_cart(shop, customer, "450.00", hours_ago=3)
    apply(
        ev.OrderPaid(
            shop_id=shop.id,
            order_id="o-1",
            customer=ev.Contact(email=customer.email),
            total=Decimal("450"),
            created_at=NOW - timedelta(hours=1),
            updated_at=NOW - timedelta(hours=1),
        )
    )
    db.session.commit()

    assert scan_alerts(shop.id, now=NOW) == 0


def test_a_score_crossing_alerts_once_from_the_daily_scan(shop):
    add_rule(shop.id, "score_above", threshold=Decimal("30"))
    add_rule(shop.id, "score_below", threshold=Decimal("30"))
    customer = known(
        shop,
        order_count=2,
        first_order_at=NOW - timedelta(days=300),
        last_order_at=NOW - timedelta(days=20),
        created_at=NOW - timedelta(days=400),
    )
    ShopScope(shop.id).add(
        CustomerEngagement(
            customer_id=customer.id, score=10, stage="lapsed", scored_at=NOW - timedelta(days=1)
        )
    )
    db.session.commit()

    result = scan_customers(shop.id, now=NOW)

    (alert,) = alerts(shop)
    assert result["alerts"] == 1
    assert alert.detail == {"score": 45, "previous_score": 10}  # 30 + 8 of 85 rose past 30
    assert scan_customers(shop.id, now=NOW + timedelta(hours=2))["alerts"] == 0
    # 200 days on the score falls below 30 again: the other rule fires
    assert scan_customers(shop.id, now=NOW + timedelta(days=200))["alerts"] == 1


def test_a_vip_past_their_usual_gap_alerts_once(shop):
    add_rule(shop.id, "vip_overdue", period_days=30)
    vip = known(
        shop,
        "vip",
        order_count=5,
        total_spent=Decimal("2000"),
        first_order_at=NOW - timedelta(days=140),
        last_order_at=NOW - timedelta(days=40),
    )
    on_time = known(
        shop,
        "regular",
        order_count=5,
        total_spent=Decimal("2000"),
        first_order_at=NOW - timedelta(days=110),
        last_order_at=NOW - timedelta(days=10),
    )
    for customer in (vip, on_time):
        ShopScope(shop.id).add(
            CustomerScore(customer_id=customer.id, recency=3, frequency=5, monetary=5)
        )
    db.session.commit()

    assert raise_alerts(shop.id, NOW, ("vip_overdue",)) == 1
    last_day = period_start(NOW, 30) + timedelta(days=29)  # the same 30-day period
    later = NOW + timedelta(days=(last_day - NOW.date()).days)
    assert raise_alerts(shop.id, later, ("vip_overdue",)) == 0
    assert raise_alerts(shop.id, later + timedelta(days=1), ("vip_overdue",)) == 1
    first, second = sorted(alerts(shop), key=lambda a: a.id)
    assert first.customer_id == second.customer_id == vip.id  # never the one on time
    assert first.detail == {"usual_gap_days": 25, "days_since_order": 40}


def test_a_watched_product_page_viewed_by_a_known_customer_alerts_once(shop):
    add_product(shop.id, "77", title="Linen shirt", url="https://shop.example/products/linen")
    add_rule(shop.id, "page_viewed", target="https://shop.example/products/linen/?utm_source=x")
    customer = known(shop)
    for who in (customer.id, customer.id, None):  # the anonymous view counts for nobody
        ShopScope(shop.id).add(
            StorefrontEvent(
                visitor_id="v-1",
                customer_id=who,
                kind="product_viewed",
                product_id="77",
                occurred_at=NOW - timedelta(minutes=10),
            )
        )
    db.session.commit()

    assert scan_alerts(shop.id, now=NOW) == 1
    assert scan_alerts(shop.id, now=NOW + timedelta(minutes=5)) == 0
    (alert,) = alerts(shop)
    assert (alert.customer_id, alert.detail) == (customer.id, {"product_id": "77"})


def test_rules_that_cannot_work_are_refused(shop):
    with pytest.raises(RuleError, match="unknown_product"):
        add_rule(shop.id, "page_viewed", target="https://shop.example/products/nothing")
    with pytest.raises(RuleError, match="score_level"):
        add_rule(shop.id, "score_above", threshold=Decimal("150"))
    with pytest.raises(RuleError, match="cart_amount"):
        add_rule(shop.id, "cart_abandoned", threshold=Decimal("0"))


def test_periods_are_whole_blocks_of_the_rules_days():
    day = NOW.replace(year=2026, month=11, day=30)
    assert period_start(day, 1) == day.date()
    seven = period_start(day, 7)
    assert seven <= day.date() < seven + timedelta(days=7)
    assert period_start(day + timedelta(days=7), 7) == seven + timedelta(days=7)


def _cart_alerts(shop, count: int) -> None:
    add_rule(shop.id, "cart_abandoned", threshold=Decimal("100"))
    for n in range(count):
        abandoned_cart(shop, known(shop, f"buyer{n}"), "200.00", hours_ago=2, key=f"c-{n}")


def test_two_alerts_go_as_two_emails_to_each_staff_address(staff, mailbox, run_jobs):
    save_destinations(staff, ["staff@shop.example", "boss@shop.example"], "")
    db.session.commit()
    _cart_alerts(staff, 2)

    scan_alerts(staff.id, now=NOW)
    run_jobs("flows")

    received = mailbox.received
    assert sorted(m["To"] for m in received) == sorted(
        ["staff@shop.example"] * 2 + ["boss@shop.example"] * 2
    )
    subjects = {m["Subject"] for m in received}
    assert all(s.startswith("Alert klienta: ") for s in subjects)  # the shop speaks Polish
    assert any(
        "Buyer0 <buyer0@example.com> porzucił(a) koszyk o wartości 200,00" in s for s in subjects
    )
    assert all(a.notified_at is not None for a in alerts(staff))
    run_jobs("flows")
    assert len(mailbox.received) == 4  # told once


def test_many_alerts_go_as_one_digest(staff, mailbox, run_jobs):
    _cart_alerts(staff, 6)

    scan_alerts(staff.id, now=NOW)
    run_jobs("flows")

    (digest,) = mailbox.received
    assert digest["Subject"] == "6 alertów o klientach · Test shop"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert text.count("porzucił(a) koszyk") == 6


def test_alerts_wait_until_the_merchant_says_where_they_go(shop, mailbox, run_jobs):
    _cart_alerts(shop, 1)
    scan_alerts(shop.id, now=NOW)
    run_jobs("flows")
    assert mailbox.received == [] and alerts(shop)[0].notified_at is None

    save_destinations(shop, ["staff@shop.example"], "")
    db.session.commit()

    assert notify_staff(shop.id) == 1
    assert len(mailbox.received) == 1


@responses.activate
def test_the_webhook_body_is_signed_with_the_shops_secret(staff, run_jobs):
    save_destinations(staff, [], HOOK)
    db.session.commit()
    secret = staff.credentials[SECRET_KEY]
    responses.add(responses.POST, HOOK, status=200)
    _cart_alerts(staff, 1)

    scan_alerts(staff.id, now=NOW)
    run_jobs("flows")

    (call,) = responses.calls
    body = call.request.body
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert call.request.headers["X-Storeflow-Signature"] == expected
    sent = json.loads(body)
    assert sent["shop"] == staff.domain
    (item,) = sent["alerts"]
    assert item["rule"]["kind"] == "cart_abandoned"
    assert item["customer"]["email"] == "buyer0@example.com"
    assert item["detail"] == {"cart_total": 200, "currency": "PLN"}
    assert alerts(staff)[0].webhook_at is not None


@responses.activate
def test_a_failing_receiver_gets_the_same_alerts_again_on_the_retry(staff):
    save_destinations(staff, [], HOOK)
    _cart_alerts(staff, 1)
    scan_alerts(staff.id, now=NOW)
    ids = [a.id for a in alerts(staff)]
    responses.add(responses.POST, HOOK, status=503)
    responses.add(responses.POST, HOOK, status=204)

    with pytest.raises(RuntimeError, match="503"):
        post_alert_webhook(staff.id, ids)
    assert alerts(staff)[0].webhook_at is None
    assert post_alert_webhook(staff.id, ids) == "delivered"
    assert post_alert_webhook(staff.id, ids) == "nothing to send"
    first, second = responses.calls
    assert first.request.body == second.request.body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "ftp://93.184.215.14/hook",
    ],
)
def test_a_webhook_to_a_private_address_is_refused_when_saved(shop, url):
    with pytest.raises(RuleError, match="webhook_address"):
        save_destinations(shop, ["staff@shop.example"], url)


@responses.activate
def test_a_private_address_stored_anyway_is_refused_before_the_post_in_production(
    app, staff, monkeypatch
):
    monkeypatch.setitem(app.config, "STOREFLOW_ENV", "production")
    monkeypatch.setitem(app.config, "ALLOW_PRIVATE_STORE_URLS", True)  # ignored in production
    staff.staff_alerts = StaffAlertSettings(webhook_url="http://127.0.0.1:6379/")
    _cart_alerts(staff, 1)
    scan_alerts(staff.id, now=NOW)

    assert post_alert_webhook(staff.id, [a.id for a in alerts(staff)]) == "refused"
    assert len(responses.calls) == 0


def test_erasing_a_customer_erases_the_alerts_that_name_them(staff):
    _cart_alerts(staff, 2)
    scan_alerts(staff.id, now=NOW)
    assert len(alerts(staff)) == 2

    scan_customers(staff.id, now=NOW)  # scores and stage moves for both
    apply(ev.CustomerRedact(shop_id=staff.id, customer=ev.Contact(email="buyer0@example.com")))
    db.session.commit()

    (left,) = alerts(staff)
    erased = ShopScope(staff.id).first(Customer, Customer.email.is_(None))
    assert erased is not None and left.customer_id != erased.id
    for model in (CustomerEngagement, EngagementStageChange):
        kept = {row.customer_id for row in ShopScope(staff.id).all(model)}
        assert kept == {left.customer_id}


def test_staff_of_an_uninstalled_shop_hear_nothing_more(staff, mailbox, run_jobs):
    _cart_alerts(staff, 1)
    raise_alerts(staff.id, NOW, ("cart_abandoned",))
    staff.status = "uninstalled"
    db.session.commit()

    run_jobs("flows")

    assert mailbox.received == []
    assert notify_staff(staff.id) == 0
