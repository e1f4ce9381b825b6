"""Merchant settings: validated by the flow's declaration, stored per shop, audited."""

from __future__ import annotations

import pytest

from app.flows import abandoned_cart
from app.flows.engine.settings import is_enabled, save_settings, settings_for
from app.models import AuditLog, FlowSetting, ShopScope, db
from tests.conftest import SHOP_ADDRESS

FLOW = abandoned_cart.FLOW


def _typed(key: str, value: object) -> str:
    """A stored default as the page shows it: a delay in minutes is typed in hours."""
    if key.endswith("_minutes"):
        return f"{int(value) / 60:g}"  # type: ignore[call-overload]
    return str(value)


def form_of(flow_key: str, **values) -> dict[str, str]:
    """The settings form as the browser posts it: the defaults as shown (delays in hours),
    with the given changes, typed as the merchant types them."""
    defaults = FLOW.defaults()
    data = {f"{flow_key}-{k}": _typed(k, v) for k, v in defaults.items() if not isinstance(v, bool)}
    data.update({f"{flow_key}-{k}": "y" for k, v in defaults.items() if v is True})
    for key, value in values.items():
        if value is False:
            data.pop(f"{flow_key}-{key}", None)
        else:
            data[f"{flow_key}-{key}"] = "y" if value is True else str(value)
    return data


def test_merchant_turns_a_flow_on_and_changes_a_setting(merchant, ready_shop):
    shop = ready_shop
    browser = merchant(shop)
    response = browser.post(
        "/embedded/flows/abandoned_cart",
        data=form_of("abandoned_cart", enabled=True, discount_percent=15),
    )
    assert response.status_code == 200
    assert "Przypomnienia o porzuconym koszyku: zapisano" in response.get_data(as_text=True)
    assert is_enabled(shop.id, "abandoned_cart")
    assert settings_for(shop.id, FLOW)["discount_percent"] == 15
    entry = ShopScope(shop.id).first(AuditLog, AuditLog.action == "flow_settings")
    assert entry is not None and entry.actor == "merchant"
    assert entry.details["discount_percent"] == [10, 15] and entry.details["enabled"] == [
        False,
        True,
    ]


def test_out_of_bounds_value_is_refused_beside_its_field_in_merchant_words_and_nothing_stored(
    merchant, shop
):
    browser = merchant(shop)
    response = browser.post(
        "/embedded/flows/abandoned_cart",
        data=form_of("abandoned_cart", enabled=True, discount_percent=90),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="abandoned_cart-discount_percent-error">Wpisz liczbę od 1 do 50 %.' in page
    assert 'value="90"' in page
    db.session.expire_all()
    assert ShopScope(shop.id).first(FlowSetting) is None
    assert ShopScope(shop.id).first(AuditLog) is None


def test_steps_out_of_order_are_refused_with_the_flows_own_rule(merchant, shop):
    browser = merchant(shop)
    response = browser.post(
        "/embedded/flows/abandoned_cart",
        data=form_of("abandoned_cart", email_1_delay_minutes=50, email_2_delay_minutes="33,5"),
    )
    assert response.status_code == 400
    assert "przypomnienia muszą iść po kolei" in response.get_data(as_text=True)
    assert ShopScope(shop.id).first(FlowSetting) is None


def test_text_in_a_number_field_is_refused_and_shown_back(merchant, shop):
    response = merchant(shop).post(
        "/embedded/flows/abandoned_cart", data=form_of("abandoned_cart", discount_percent="ten")
    )
    assert response.status_code == 400
    assert "Wpisz liczbę." in response.get_data(as_text=True)
    assert 'value="ten"' in response.get_data(as_text=True)
    assert ShopScope(shop.id).first(FlowSetting) is None


def test_form_posted_without_the_pages_token_in_its_header_is_refused(merchant, ready_shop):
    """The CSRF guard of a page without cookies: a post counts only with the token in the
    Authorization header, which a cross-site form cannot send."""
    shop = ready_shop
    browser = merchant(shop)
    carried = browser.environ_base.pop("HTTP_AUTHORIZATION")
    response = browser.post(
        "/embedded/flows/abandoned_cart", data=form_of("abandoned_cart", enabled=True)
    )
    assert response.status_code == 401
    assert not is_enabled(shop.id, "abandoned_cart")
    response = browser.post(
        "/embedded/flows/abandoned_cart",
        data=form_of("abandoned_cart", enabled=True),
        headers={"Authorization": carried},
    )
    assert response.status_code == 200
    assert is_enabled(shop.id, "abandoned_cart")


def test_one_shops_session_cannot_read_or_change_another_shops_flows(merchant, make_shop):
    shop_a, shop_b = make_shop(n=1), make_shop(n=2, settings={"address": SHOP_ADDRESS})
    save_settings(shop_b.id, FLOW, {"discount_percent": 37}, enabled=True)
    db.session.commit()
    browser = merchant(shop_a)
    page = browser.get("/embedded/flows/abandoned_cart").get_data(as_text=True)
    assert 'value="37"' not in page
    # Whatever the form says, the change lands on the signed-in shop only.
    data = {**form_of("abandoned_cart", discount_percent=12), "shop_id": str(shop_b.id)}
    assert browser.post("/embedded/flows/abandoned_cart", data=data).status_code == 200
    db.session.expire_all()
    assert settings_for(shop_b.id, FLOW)["discount_percent"] == 37
    assert is_enabled(shop_b.id, "abandoned_cart")
    assert settings_for(shop_a.id, FLOW)["discount_percent"] == 12


def test_unknown_flow_is_not_found(merchant, shop):
    assert merchant(shop).post("/embedded/flows/nope", data={}).status_code == 404


@pytest.mark.parametrize(
    ("locale", "refusal", "item"),
    [
        ("en", "Not saved: this flow cannot be switched on until you fill in", "postal address"),
        ("pl", "Nie zapisano: tego procesu nie można włączyć, dopóki nie uzupełnisz", "adresu"),
        ("ro", "Nu s-a salvat: acest flux nu poate fi pornit până nu completați", "adresa poștală"),
    ],
)
def test_switching_a_flow_on_without_the_postal_address_is_refused_in_the_shops_language(
    merchant, make_shop, locale, refusal, item
):
    shop = make_shop(locale=locale)
    browser = merchant(shop)
    response = browser.post(
        "/embedded/flows/abandoned_cart", data=form_of("abandoned_cart", enabled=True)
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert refusal in page and item in page
    assert not is_enabled(shop.id, "abandoned_cart")

    # Once the address is in, the same form switches it on.
    details = {"details-address": SHOP_ADDRESS, "details-sender_name": ""}
    assert browser.post("/embedded/shop-details", data=details).status_code == 200
    response = browser.post(
        "/embedded/flows/abandoned_cart", data=form_of("abandoned_cart", enabled=True)
    )
    assert response.status_code == 200
    assert is_enabled(shop.id, "abandoned_cart")
