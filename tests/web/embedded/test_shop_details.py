"""The merchant page says, in the merchant's language, what marketing emails wait for, and
stores the postal address and sender name through the typed settings."""

from __future__ import annotations

import pytest

from app.models import AuditLog, Shop, ShopScope, db, missing_for_marketing

ADDRESS = "Sklep sp. z o.o., ul. Prosta 1, 00-001 Warszawa"


@pytest.mark.parametrize(
    ("locale", "waiting", "address_item"),
    [
        ("en", "Marketing emails are waiting", "postal address (the law asks"),
        ("pl", "E-maile marketingowe czekają", "adresu pocztowego sklepu"),
        ("ro", "E-mailurile de marketing așteaptă", "adresa poștală a magazinului"),
    ],
)
def test_page_lists_what_marketing_waits_for_in_the_shops_language(
    merchant, make_shop, locale, waiting, address_item
):
    shop = make_shop(name="", locale=locale)
    response = merchant(shop).get("/embedded/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert waiting in page
    assert address_item in page
    waiting_box = page.split('<div class="waiting" role="status">')[1].split("</div>")[0]
    assert waiting_box.count("<li>") == 2  # the address and the sender name


def test_a_shop_with_its_details_sees_no_waiting_notice(merchant, make_shop):
    shop = make_shop(settings={"address": ADDRESS})
    page = merchant(shop).get("/embedded/").get_data(as_text=True)
    assert "Shop details in emails" in page or "Dane sklepu w e-mailach" in page
    assert 'class="waiting"' not in page


def test_merchant_saves_the_address_and_sender_name_and_the_change_is_audited(merchant, make_shop):
    shop = make_shop(name="", locale="pl", settings={"sender_email": "hi@sklep.example"})
    browser = merchant(shop)
    response = browser.post(
        "/embedded/shop-details",
        data={"details-address": f"  {ADDRESS} ", "details-sender_name": "Sklep"},
    )
    assert response.status_code == 200
    assert "Dane sklepu zapisane" in response.get_data(as_text=True)
    stored = db.session.get(Shop, shop.id)
    assert stored.legal_address.text == ADDRESS
    assert (stored.sender.name, stored.sender.email) == ("Sklep", "hi@sklep.example")
    assert missing_for_marketing(stored) == []
    entry = ShopScope(shop.id).first(AuditLog, AuditLog.action == "shop_details")
    assert entry is not None and entry.details["sender_name"] == ["", "Sklep"]


def test_an_overlong_address_is_refused_and_nothing_stored(merchant, shop):
    response = merchant(shop).post(
        "/embedded/shop-details", data={"details-address": "x" * 501, "details-sender_name": ""}
    )
    assert response.status_code == 400
    assert "Nie zapisano: address" in response.get_data(as_text=True)  # the shop is Polish
    assert not db.session.get(Shop, shop.id).legal_address.is_set


def test_saving_the_sender_keeps_the_stores_address_following_the_store(merchant, make_shop):
    shop = make_shop(locale="pl", settings={"address": ADDRESS, "address_from_store": True})
    browser = merchant(shop)
    unchanged = {"details-address": ADDRESS, "details-sender_name": "Sklep"}
    assert browser.post("/embedded/shop-details", data=unchanged).status_code == 200
    db.session.expire_all()
    stored = db.session.get(Shop, shop.id)
    assert stored.sender.name == "Sklep"
    assert stored.legal_address.from_store is True  # the store may still update it

    typed = {"details-address": "Biuro, ul. Prosta 2, 00-001 Warszawa", "details-sender_name": ""}
    assert browser.post("/embedded/shop-details", data=typed).status_code == 200
    db.session.expire_all()
    stored = db.session.get(Shop, shop.id)
    assert stored.legal_address.text == "Biuro, ul. Prosta 2, 00-001 Warszawa"
    assert stored.legal_address.from_store is False  # the merchant's words win from now on
