"""The test-send address is checked for control characters: a NUL byte is a clear 400."""

from __future__ import annotations

import pytest

from app.models import Shop, db


@pytest.fixture()
def shop_with_address(make_shop) -> Shop:
    return make_shop(name="Demo Boutique", locale="en", settings={"address": "ul. Prosta 1"})


@pytest.mark.parametrize("address", ["own\x00er@boutique.example", "owner@boutique.example\x00"])
def test_nul_byte_in_test_send_address_is_a_clear_400(merchant, shop_with_address, address):
    browser = merchant(shop_with_address)
    response = browser.post("/embedded/flows/abandoned_cart/steps/0/test", data={"to": address})
    assert response.status_code == 400
    assert "Test not sent: that is not an email address." in response.get_data(as_text=True)
    db.session.expire_all()
    assert "merchant_email" not in db.session.get(Shop, shop_with_address.id).settings


def test_an_ordinary_test_send_address_is_still_accepted(merchant, shop_with_address):
    browser = merchant(shop_with_address)
    response = browser.post(
        "/embedded/flows/abandoned_cart/steps/0/test", data={"to": "owner@boutique.example"}
    )
    assert response.status_code == 200
