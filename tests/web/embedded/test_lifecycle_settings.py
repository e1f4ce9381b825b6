"""The birthday and replenishment flows on the merchant's page: their settings in the merchant's
words and language, the Shopify metafield typed as text, the per-product gaps typed as lines of
"product = days", each refused beside its field when wrong."""

from __future__ import annotations

from typing import Any

import pytest

from app.flows import birthday, replenishment
from app.flows.engine.definition import Flow
from app.flows.engine.settings import is_enabled, settings_for
from app.models import FlowSetting, ShopScope


def form_of(flow: Flow, **values: Any) -> dict[str, str]:
    """The flow's form as the browser posts it: defaults as shown, with the given changes."""
    data: dict[str, str] = {}
    for key, value in {**flow.defaults(), **values}.items():
        name = f"{flow.key}-{key}"
        if value is True:
            data[name] = "y"
        elif value is False:
            continue
        elif isinstance(value, dict):
            data[name] = "\n".join(f"{k} = {v}" for k, v in value.items())
        elif key.endswith("_minutes"):
            data[name] = f"{int(value) / 60:g}"
        else:
            data[name] = str(value)
    return data


@pytest.mark.parametrize(
    ("language", "name", "label"),
    [
        ("pl", "Życzenia urodzinowe", "Wyślij e-mail urodzinowy tyle przed urodzinami"),
        ("ro", "Urări de ziua de naștere", "Trimite e-mailul de ziua de naștere cu atât înainte"),
        ("en", "Birthday wishes", "Send the birthday email this long before the birthday"),
    ],
)
def test_the_birthday_page_speaks_the_merchants_language(
    merchant, make_shop, language, name, label
):
    shop = make_shop(locale=language)
    page = merchant(shop).get("/embedded/flows/birthday").get_data(as_text=True)
    assert name in page and label in page
    assert 'name="birthday-days_before" value="3"' in page
    assert 'name="birthday-send_hour" value="10"' in page
    assert 'type="text" size="30" id="birthday-birthday_metafield"' in page
    assert 'value="facts.birth_date"' in page
    assert "birthday_metafield</label>" not in page  # never a bare key


def test_the_merchant_names_the_metafield_and_switches_the_wish_on(merchant, ready_shop):
    response = merchant(ready_shop).post(
        "/embedded/flows/birthday",
        data=form_of(
            birthday.FLOW, enabled=True, birthday_metafield="custom.born_on", days_before=5
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    assert "Życzenia urodzinowe: zapisano" in response.get_data(as_text=True)
    stored = settings_for(ready_shop.id, birthday.FLOW)
    assert (stored["birthday_metafield"], stored["days_before"]) == ("custom.born_on", 5)
    assert is_enabled(ready_shop.id, "birthday")


def test_a_metafield_that_is_not_namespace_dot_key_is_refused_in_the_merchants_words(
    merchant, shop
):
    response = merchant(shop).post(
        "/embedded/flows/birthday", data=form_of(birthday.FLOW, birthday_metafield="birthday")
    )
    assert response.status_code == 400
    assert "metapole z datą urodzin musi mieć postać przestrzeń.klucz" in response.get_data(
        as_text=True
    )
    assert ShopScope(shop.id).first(FlowSetting) is None


def test_the_merchant_types_a_gap_per_product_as_lines(merchant, shop):
    page = merchant(shop).get("/embedded/flows/replenishment").get_data(as_text=True)
    assert "Czas kupić ponownie" in page and "Twój własny odstęp" in page
    assert '<textarea rows="4" cols="30" id="replenishment-product_days"' in page

    data = form_of(replenishment.FLOW)
    data["replenishment-product_days"] = "4001 = 30\r\n\r\n4002: 45\r\n"
    response = merchant(shop).post("/embedded/flows/replenishment", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    assert settings_for(shop.id, replenishment.FLOW)["product_days"] == {"4001": 30, "4002": 45}
    shown = merchant(shop).get("/embedded/flows/replenishment").get_data(as_text=True)
    assert "4001 = 30\n4002 = 45</textarea>" in shown


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("4001 thirty", "Wpisz po jednym w wierszu: jego ID, = i liczbę całkowitą."),
        ("4001 = 0", "Wpisz liczbę od 1 do 730 dni."),
        ("4001 = 2,5", "Wpisz po jednym w wierszu"),
    ],
)
def test_a_bad_line_is_refused_beside_the_table_and_shown_back(merchant, shop, typed, said):
    data = form_of(replenishment.FLOW)
    data["replenishment-product_days"] = typed
    response = merchant(shop).post("/embedded/flows/replenishment", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert said in page and f">{typed}</textarea>" in page
    assert ShopScope(shop.id).first(FlowSetting) is None
