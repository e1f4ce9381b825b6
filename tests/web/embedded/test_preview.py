"""Email previews per step and the merchant's test send."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from app.models import Shop, db

ADDRESS = "ul. Prosta 1, 00-001 Warszawa"


@pytest.fixture()
def shop_with_address(make_shop) -> Shop:
    return make_shop(name="Demo Boutique", locale="en", settings={"address": ADDRESS})


def test_flow_page_frames_a_preview_for_each_email_step_and_none_for_sms(
    merchant, shop_with_address
):
    page = merchant(shop_with_address).get("/embedded/flows/abandoned_cart").get_data(as_text=True)
    for index in (0, 2, 3):
        assert f'data-preview="/embedded/flows/abandoned_cart/steps/{index}/preview"' in page
    assert "/flows/abandoned_cart/steps/1/preview" not in page  # step 1 is the SMS


def test_preview_renders_the_steps_email_for_the_shop(merchant, shop_with_address):
    browser = merchant(shop_with_address)
    response = browser.get("/embedded/flows/abandoned_cart/steps/3/preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Demo Boutique" in html and ADDRESS in html
    assert "PREVIEW-10" in html  # the third reminder carries the discount code
    assert browser.get("/embedded/flows/abandoned_cart/steps/1/preview").status_code == 404
    assert browser.get("/embedded/flows/abandoned_cart/steps/9/preview").status_code == 404


def test_preview_without_a_postal_address_says_what_is_missing(merchant, make_shop):
    response = merchant(make_shop()).get("/embedded/flows/abandoned_cart/steps/0/preview")
    assert response.status_code == 422
    said = response.get_data(as_text=True)  # in the admin's language (the shop's: Polish)
    assert said.startswith("Tego e-maila nie można jeszcze pokazać: shop.address is required")


def test_test_send_mails_the_merchant_from_a_worker(merchant, shop_with_address, run_jobs, outbox):
    browser = merchant(shop_with_address)
    response = browser.post(
        "/embedded/flows/abandoned_cart/steps/0/test", data={"to": "owner@boutique.example"}
    )
    assert response.status_code == 200
    said = "A test email is on its way to owner@boutique.example"
    assert said in response.get_data(as_text=True)  # said in the answer: no flash
    assert not outbox.exists() or not list(outbox.iterdir())  # nothing sent in the request
    assert run_jobs("flows") == 1
    mails = [message_from_bytes(p.read_bytes()) for p in outbox.iterdir() if p.is_file()]
    assert len(mails) == 1
    assert mails[0]["To"] == "owner@boutique.example"
    assert mails[0]["Subject"].startswith("[TEST] ")
    db.session.expire_all()
    assert db.session.get(Shop, shop_with_address.id).settings["merchant_email"] == (
        "owner@boutique.example"
    )
    page = browser.get("/embedded/flows/abandoned_cart").get_data(as_text=True)
    assert 'value="owner@boutique.example"' in page


def test_test_send_to_a_malformed_address_is_refused(merchant, shop_with_address, run_jobs):
    browser = merchant(shop_with_address)
    response = browser.post(
        "/embedded/flows/abandoned_cart/steps/0/test", data={"to": "not an address"}
    )
    assert run_jobs("flows") == 0
    assert response.status_code == 400
    assert "Test not sent: that is not an email address." in response.get_data(as_text=True)


def test_every_email_step_of_every_flow_previews(merchant, shop_with_address):
    from app.flows.registry import FLOWS

    browser = merchant(shop_with_address)
    for flow in FLOWS:
        key = flow.key
        for index, step in enumerate(flow.steps):
            if step.channel == "email":
                response = browser.get(f"/embedded/flows/{key}/steps/{index}/preview")
                assert response.status_code == 200, (key, index, response.get_data(as_text=True))


def test_browse_abandonment_preview_shows_the_viewed_products_block(merchant, shop_with_address):
    response = merchant(shop_with_address).get("/embedded/flows/browse_abandonment/steps/0/preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You were looking at" in html and "Linen shirt" in html
    assert "Now at a lower price" in html  # the sample shirt's compare-at price is higher


def test_price_drop_preview_shows_the_price_seen_beside_todays(merchant, shop_with_address):
    response = merchant(shop_with_address).get("/embedded/flows/price_drop/steps/0/preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cheaper than when you saw it" in html and "Linen shirt" in html
    assert "236.25" in html and "189.00" in html  # the price seen: 189.00 times 1.25


def test_each_flows_preview_shows_its_product_blocks(merchant, shop_with_address):
    browser = merchant(shop_with_address)
    expected = {
        "reactivation": ("You bought", "Picked for you"),
        "abandoned_cart": ("Picked for you",),
        "browse_abandonment": ("You were looking at", "Picked for you"),
        "welcome": ("Our bestsellers",),
    }
    for key, headings in expected.items():
        step = 2 if key == "welcome" else 0
        html = browser.get(f"/embedded/flows/{key}/steps/{step}/preview").get_data(as_text=True)
        for heading in headings:
            assert heading in html, (key, heading)
