"""The merchant page's Customers tab: customers per lifecycle stage and their moves this month
(after a real daily scan), the score's weights, the staff alert settings and rules, in pl, ro
and en; and each flow's page offers the lifecycle condition."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from app.insights.alert_delivery import SECRET_KEY
from app.insights.idle import scan_customers
from app.models import AlertRule, AuditLog, Customer, ShopScope, db, utcnow

NOW = utcnow().replace(microsecond=0)


def _plant(shop) -> None:
    """Two new customers (first order this week), one at risk, one lapsed."""
    rows = [
        ("new1", 1, 5, 5),
        ("new2", 1, 3, 3),
        ("risk", 2, 120, 300),
        ("gone", 1, 500, 500),
    ]
    for name, orders, last, first in rows:
        ShopScope(shop.id).add(
            Customer(
                email=f"{name}@example.com",
                order_count=orders,
                total_spent=Decimal(50 * orders),
                first_order_at=NOW - timedelta(days=first),
                last_order_at=NOW - timedelta(days=last),
                created_at=NOW - timedelta(days=600),
            )
        )
    db.session.commit()
    scan_customers(shop.id, now=NOW)


def _count(html: str, stage: str) -> str:
    found = re.search(rf'data-stage="{stage}">([^<]*)<', html)
    assert found, stage
    return found.group(1)


def test_the_page_shows_how_many_customers_are_in_each_stage_and_how_they_moved(merchant, shop):
    _plant(shop)

    response = merchant(shop).get("/embedded/customers?locale=en")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [_count(html, s) for s in ("new", "active", "at_risk", "lapsed")] == ["2", "0", "1", "1"]
    assert "Moves this month" in html
    assert html.count('data-k="move"') == 3  # first scored into new, at risk, lapsed
    assert 'data-weight="order_recency">30<' in html
    assert 'data-weight="views"' not in html  # this shop sends no product views
    assert "Product views count once your storefront sends them." in html


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("pl", ("Etapy cyklu życia", "Zagrożeni odejściem", "Alerty dla obsługi", "Utraceni")),
        ("ro", ("Etapele ciclului de viață", "În risc", "Alerte pentru echipă", "Pierduți")),
        ("en", ("Lifecycle stages", "Staff alerts", "How the engagement score is made")),
    ],
)
def test_the_customers_page_speaks_polish_romanian_and_english(merchant, shop, locale, words):
    _plant(shop)

    html = merchant(shop).get(f"/embedded/customers?locale={locale}").get_data(as_text=True)

    for said in words:
        assert said in html
    assert _count(html, "new") == "2"


def test_the_merchant_sets_staff_addresses_and_a_webhook_and_sees_its_secret(merchant, shop):
    browser = merchant(shop)

    response = browser.post(
        "/embedded/customers/alerts?locale=en",
        data={
            "emails": "staff@shop.example, boss@shop.example",
            "webhook_url": "https://93.184.215.14/h",
        },
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Alert addresses saved" in html
    db.session.expire_all()
    secret = shop.credentials[SECRET_KEY]
    assert secret in html and "X-Storeflow-Signature" in html
    assert shop.staff_alerts.emails == ("staff@shop.example", "boss@shop.example")
    assert ShopScope(shop.id).first(AuditLog, AuditLog.action == "alert_destinations")


def test_a_private_webhook_address_is_refused_on_the_page_in_the_admins_language(merchant, shop):
    response = merchant(shop).post(
        "/embedded/customers/alerts?locale=pl",
        data={"emails": "staff@shop.example", "webhook_url": "http://192.168.1.20/hook"},
    )

    assert response.status_code == 400
    assert "adres webhooka musi być publicznym adresem http(s)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert shop.staff_alerts.webhook_url == "" and SECRET_KEY not in shop.credentials


def test_rules_are_added_listed_and_removed_on_the_page(merchant, shop):
    browser = merchant(shop)

    added = browser.post(
        "/embedded/customers/rules?locale=en",
        data={"kind": "cart_abandoned", "threshold": "299,99", "period_days": "3"},
    )
    refused = browser.post(
        "/embedded/customers/rules?locale=en",
        data={"kind": "score_above", "threshold": "250", "period_days": "7"},
    )

    assert added.status_code == 200 and "Alert rule added" in added.get_data(as_text=True)
    assert refused.status_code == 400
    assert "the score level must be a whole number from 1 to 100" in refused.get_data(as_text=True)
    (rule,) = ShopScope(shop.id).all(AlertRule)
    assert (rule.kind, rule.threshold, rule.period_days) == ("cart_abandoned", Decimal("299.99"), 3)
    html = browser.get("/embedded/customers?locale=en").get_data(as_text=True)
    assert 'data-rule="cart_abandoned"' in html and "at most once per customer in 3 days" in html

    removed = browser.post(f"/embedded/customers/rules/{rule.id}/delete?locale=en")
    assert removed.status_code == 200 and "Alert rule removed" in removed.get_data(as_text=True)
    assert ShopScope(shop.id).all(AlertRule) == []


def test_another_shops_rule_cannot_be_removed(merchant, shop, make_shop):
    other = make_shop(n=2)
    rule = ShopScope(other.id).add(AlertRule(kind="vip_overdue", period_days=7, enabled=True))
    db.session.commit()

    assert merchant(shop).post(f"/embedded/customers/rules/{rule.id}/delete").status_code == 404
    assert ShopScope(other.id).all(AlertRule) != []


def test_each_flow_page_offers_the_lifecycle_condition(merchant, ready_shop):
    html = (
        merchant(ready_shop).get("/embedded/flows/abandoned_cart?locale=pl").get_data(as_text=True)
    )

    assert "Pisz do klientów na tych etapach cyklu życia" in html
    assert '<option value="not_lapsed"' in html and "wszyscy oprócz utraconych klientów" in html
