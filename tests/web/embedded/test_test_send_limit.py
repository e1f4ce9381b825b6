"""Test emails go to any address typed in: a shop gets a few an hour, then a clear 429 with
Retry-After, on the flow page and in the email editor alike; other shops are not affected."""

from __future__ import annotations

import pytest

from app.models import Shop
from app.web.embedded import test_send
from tests.conftest import SHOP_ADDRESS
from tests.web.embedded.test_emails_editor import _form as editor_form

FLOW_PAGE_TEST = "/embedded/flows/abandoned_cart/steps/0/test"
LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(monkeypatch):
    monkeypatch.setattr(test_send, "TEST_SENDS_PER_HOUR", LIMIT)


@pytest.fixture()
def english_shop(make_shop) -> Shop:
    return make_shop(name="Demo Boutique", locale="en", settings={"address": SHOP_ADDRESS})


def test_test_sends_over_the_hourly_limit_get_429_with_retry_after_and_are_not_sent(
    merchant, english_shop, run_jobs
):
    browser = merchant(english_shop)
    for _ in range(LIMIT):
        assert (
            browser.post(FLOW_PAGE_TEST, data={"to": "owner@boutique.example"}).status_code == 200
        )

    refused = browser.post(FLOW_PAGE_TEST, data={"to": "owner@boutique.example"})

    assert refused.status_code == 429
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    said = "Test not sent: too many test emails; try again in 60 min."
    assert said in refused.get_data(as_text=True)
    assert run_jobs("flows") == LIMIT  # the ones allowed went out, the refused one did not


def test_one_shops_test_sends_do_not_limit_another_shop(merchant, english_shop, make_shop):
    other = make_shop(n=2, name="Other shop", locale="en", settings={"address": SHOP_ADDRESS})
    browser = merchant(english_shop)
    for _ in range(LIMIT + 1):
        browser.post(FLOW_PAGE_TEST, data={"to": "owner@boutique.example"})

    answer = merchant(other).post(FLOW_PAGE_TEST, data={"to": "owner@other.example"})

    assert answer.status_code == 200
    assert "A test email is on its way to owner@other.example" in answer.get_data(as_text=True)


def test_the_email_editors_test_send_counts_against_the_same_limit_and_says_so_in_polish(
    merchant, make_shop, run_jobs
):
    polish = make_shop(name="Sklep Ani", locale="pl", settings={"address": SHOP_ADDRESS})
    browser = merchant(polish)
    for _ in range(LIMIT):
        browser.post(FLOW_PAGE_TEST, data={"to": "ania@sklep.example"})
    editor_test = editor_form(do="test", to="ania@sklep.example")

    refused = browser.post("/embedded/flows/abandoned_cart/emails", data=editor_test)

    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    said = "Test nie został wysłany: zbyt wiele e-maili testowych; spróbuj ponownie za 60 min."
    assert said in refused.get_data(as_text=True)
    assert run_jobs("flows") == LIMIT
