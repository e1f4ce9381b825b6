"""The birthday flow end to end: a shopper's birthday arrives with their profile (a signed demo
webhook, as a shop sends it), the hourly scan finds it in the shop's calendar, and one email
with a single-use gift code goes through a real SMTP server on a simulated clock, at the
shop's chosen hour in its timezone (Europe/Warsaw)."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from app.events import types as ev
from app.events.apply import apply
from app.flows import birthday
from app.flows.engine import clock
from app.flows.engine.definition import SettingError
from app.flows.engine.settings import save_settings
from app.insights.birthdays import celebrated_on, due_dates, scan_birthdays
from app.models import Customer, Discount, FlowRun, LifecycleEmission, Message, ShopScope, db
from app.models.shop_settings import SmsChannel
from tests.conftest import ts

SHOPPER = "ola@example.com"
# 00:30 in Warsaw on 20 November 2026: the day a 23 November birthday is due (3 days before).
MIDNIGHT = ts("2026-11-19T23:30:00")


@pytest.fixture()
def birthday_shop(flow_shop, sim_clock):
    sim_clock.current = MIDNIGHT
    switch(flow_shop)
    return flow_shop


def switch(shop, **settings: Any) -> None:
    save_settings(shop.id, birthday.FLOW, {"holdout_percent": 0, **settings}, enabled=True)
    db.session.commit()


@pytest.fixture()
def profile(shop_events):
    """The shop tells us about a shopper: name, language, consent and birthday."""

    def send(born: str | None = "1990-11-23", *, who: str = "ola", **fields: Any) -> None:
        body = {
            "id": f"c-{who}",
            "email": f"{who}@example.com",
            "first_name": who.capitalize(),
            "locale": "pl",
            "accepts_marketing": True,
            "birthday": born,
            "updated_at": clock.now().isoformat(),
            **fields,
        }
        shop_events("customer/updated", body)

    return send


def scan(shop) -> int:
    """What the hourly ``rq cron`` job does for the shop."""
    return scan_birthdays(shop.id, now=clock.now())


def _text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _runs(shop_id: int) -> list[FlowRun]:
    return ShopScope(shop_id).all(FlowRun, FlowRun.flow_key == birthday.KEY)


def test_birthday_email_goes_three_days_before_at_ten_in_the_shops_timezone_with_a_code(
    birthday_shop, profile, tick, mailbox
):
    profile("1990-11-23")
    customer = ShopScope(birthday_shop.id).first(Customer, Customer.email == SHOPPER)
    assert customer is not None and customer.birthday == date(1990, 11, 23)

    assert scan(birthday_shop) == 1
    tick(hours=9, minutes=29)  # 08:59 UTC = 09:59 in Warsaw: not yet
    assert mailbox.received == []
    tick(minutes=1)  # 10:00 in Warsaw

    (mail,) = mailbox.received
    assert mail["To"] == SHOPPER
    assert mail["Subject"] == "Wszystkiego najlepszego, Ola! Prezent od Test shop"
    text = _text(mail)
    assert "Zbliżają się Twoje urodziny" in text and "15% rabatu" in text
    (code,) = ShopScope(birthday_shop.id).all(Discount)
    assert code.code.startswith("BDAY-") and code.code in text
    assert code.recipient == SHOPPER
    assert code.expires_at == clock.now() + timedelta(days=14)  # D days, then it expires
    (run,) = _runs(birthday_shop.id)
    assert (run.state, run.end_reason) == ("completed", "sequence_finished")


@pytest.mark.parametrize(
    ("locale", "subject", "words"),
    [
        ("ro", "La mulți ani, Ola! Un cadou de la Test shop", "Se apropie ziua ta"),
        ("en", "Happy birthday, Ola! A gift from Test shop", "Your birthday is coming up"),
    ],
)
def test_the_birthday_email_speaks_the_shoppers_language(
    birthday_shop, profile, tick, mailbox, locale, subject, words
):
    profile(locale=locale)
    scan(birthday_shop)
    tick(hours=10)
    (mail,) = mailbox.received
    assert mail["Subject"] == subject and words in _text(mail)


def test_once_a_year_a_rerun_or_a_later_scan_finds_nobody_new(
    birthday_shop, profile, tick, mailbox
):
    profile()
    assert scan(birthday_shop) == 1
    assert scan(birthday_shop) == 0  # the same hour again
    tick(hours=10)
    for _ in range(3):  # the next days, until the birthday itself
        tick(days=1)
        assert scan(birthday_shop) == 0
    assert len(mailbox.received) == 1
    (found,) = ShopScope(birthday_shop.id).all(LifecycleEmission)
    assert (found.kind, found.key) == ("birthday", "2026")

    tick(days=362)  # 20 November 2027: the next year's wish
    assert scan(birthday_shop) == 1
    tick(hours=1)
    assert len(mailbox.received) == 2


def test_not_before_its_day_and_never_after_the_birthday(birthday_shop, profile, sim_clock):
    profile("1990-11-24")  # four days away on 20 November
    assert scan(birthday_shop) == 0
    profile("1990-11-19", who="ewa")  # was yesterday
    assert scan(birthday_shop) == 0
    sim_clock.advance(days=1)  # 21 November: the 24th is three days away
    assert scan(birthday_shop) == 1


def test_switched_on_late_the_wish_still_goes_before_the_birthday(
    birthday_shop, profile, tick, mailbox
):
    profile("1990-11-21")  # tomorrow: its day to be found has passed
    assert scan(birthday_shop) == 1
    tick(hours=10)
    assert len(mailbox.received) == 1


def test_no_birthday_email_without_marketing_consent(birthday_shop, profile, tick, mailbox):
    profile(accepts_marketing=False)
    assert scan(birthday_shop) == 0
    tick(hours=10)
    assert mailbox.received == [] and _runs(birthday_shop.id) == []


def test_an_order_before_the_send_stops_the_wish(
    birthday_shop, profile, tick, mailbox, shop_events
):
    profile()
    scan(birthday_shop)
    tick(hours=2)
    placed = clock.now().isoformat()
    order = {
        "id": "o-1",
        "customer": {"id": "c-ola", "email": SHOPPER},
        "items": [{"product_id": "1", "quantity": 1, "price": "10.00"}],
        "total": "10.00",
        "created_at": placed,
        "updated_at": placed,
    }
    shop_events("order/created", order)
    tick(hours=9)
    assert mailbox.received == []
    (run,) = _runs(birthday_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "order_placed")


def test_consent_withdrawn_before_the_send_stops_the_wish(birthday_shop, profile, tick, mailbox):
    profile()
    scan(birthday_shop)
    profile(accepts_marketing=False)  # the shop says: no more marketing email
    tick(hours=10)
    assert mailbox.received == []
    (run,) = _runs(birthday_shop.id)
    assert (run.state, run.end_reason) == ("cancelled", "consent_withdrawn")


def test_who_unsubscribed_from_the_wish_gets_none_next_year(
    birthday_shop, profile, tick, mailbox, client
):
    profile()
    scan(birthday_shop)
    tick(hours=10)
    (mail,) = mailbox.received
    url = mail["List-Unsubscribe"].strip("<>").removeprefix("http://storeflow.test")
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    tick(days=365)
    assert scan(birthday_shop) == 0
    tick(hours=10)
    assert len(mailbox.received) == 1


def test_the_holdout_group_gets_no_wish(birthday_shop, profile, tick, mailbox):
    switch(birthday_shop, holdout_percent=50)
    shoppers = [f"s{n}" for n in range(12)]
    for who in shoppers:
        profile(who=who)
    assert scan(birthday_shop) == len(shoppers)
    tick(hours=10)
    runs = _runs(birthday_shop.id)
    held = [r for r in runs if r.held_out]
    assert 0 < len(held) < len(shoppers)
    assert len(mailbox.received) == len(shoppers) - len(held)
    assert {m["To"] for m in mailbox.received} == {
        r.context["email"] for r in runs if not r.held_out
    }


def test_29_february_is_celebrated_on_28_february_in_other_years():
    assert celebrated_on(date(2004, 2, 29), 2027) == date(2027, 2, 28)
    assert celebrated_on(date(2004, 2, 29), 2028) == date(2028, 2, 29)
    # On 25 February 2027 (no 29th), three days ahead reaches 28 February: both are due.
    due = due_dates(date(2027, 2, 25), 3)
    assert due[228] == due[229] == date(2027, 2, 28)
    assert 301 not in due
    assert 229 not in due_dates(date(2028, 2, 25), 3)  # a leap year has its own 29th
    # Across the new year the key is the year the birthday falls in.
    assert due_dates(date(2026, 12, 30), 3)[102] == date(2027, 1, 2)


def test_a_29_february_birthday_is_found_in_a_year_without_one(
    birthday_shop, profile, sim_clock, tick, mailbox
):
    sim_clock.current = ts("2027-02-24T23:30:00")  # 25 February 2027 in Warsaw
    profile("2004-02-29")
    assert scan(birthday_shop) == 1
    (found,) = ShopScope(birthday_shop.id).all(LifecycleEmission)
    assert found.key == "2027"
    tick(hours=10)
    assert len(mailbox.received) == 1


def test_the_birthday_text_goes_to_those_who_agreed_to_texts(
    birthday_shop, profile, tick, mailbox, app
):
    app_outbox = Path(app.instance_path) / "outbox"
    birthday_shop.sms_channel = SmsChannel(gateway="outbox")
    switch(birthday_shop, birthday_sms=True)
    profile(phone="+48600100200", accepts_sms=True)
    scan(birthday_shop)
    tick(hours=10)
    assert len(mailbox.received) == 1
    sent = ShopScope(birthday_shop.id).all(Message)
    assert sorted((m.channel, m.status, m.recipient) for m in sent) == [
        ("email", "sent", SHOPPER),
        ("sms", "sent", "+48600100200"),
    ]
    (text,) = (app_outbox / "sms").glob("*.json")
    assert "Wszystkiego najlepszego, Ola!" in text.read_text(encoding="utf-8")


def test_settings_refuse_a_metafield_that_is_not_namespace_dot_key(birthday_shop):
    with pytest.raises(SettingError, match=r"namespace\.key"):
        save_settings(birthday_shop.id, birthday.FLOW, {"birthday_metafield": "birthday"})
    with pytest.raises(SettingError, match="days_before must be at most 30"):
        save_settings(birthday_shop.id, birthday.FLOW, {"days_before": 31})
    save_settings(birthday_shop.id, birthday.FLOW, {"birthday_metafield": "custom.born_on"})


def test_erasure_forgets_the_birthday_and_what_the_scan_found(birthday_shop, profile):
    profile()
    assert scan(birthday_shop) == 1
    apply(ev.CustomerRedact(shop_id=birthday_shop.id, customer=ev.Contact(email=SHOPPER)))
    db.session.commit()

    (customer,) = ShopScope(birthday_shop.id).all(Customer)
    assert (customer.birthday, customer.email, customer.redacted_at is not None) == (
        None,
        None,
        True,
    )
    assert ShopScope(birthday_shop.id).all(LifecycleEmission) == []
    assert scan(birthday_shop) == 0
