"""The alert flows and the product blocks on the merchant's flow page: in the merchant's words
(pl, ro, en), off until switched on, each block a tick box the merchant can clear."""

from __future__ import annotations

import pytest

from app.flows import abandoned_cart, price_drop
from app.flows.engine.settings import is_enabled, settings_for


@pytest.mark.parametrize(
    ("locale", "name", "threshold", "block"),
    [
        (
            "pl",
            "Powiadomienia o obniżce ceny",
            "Tylko gdy cena spadnie co najmniej o",
            "Pokaż produkty dobrane dla klienta",
        ),
        (
            "ro",
            "Alerte de scădere a prețului",
            "Doar când prețul scade cu cel puțin",
            "Arată produse alese pentru client",
        ),
        (
            "en",
            "Price drop alerts",
            "Only when the price falls by at least",
            "Show products picked for them",
        ),
    ],
)
def test_price_drop_page_speaks_the_merchants_language(
    merchant, ready_shop, locale, name, threshold, block
):
    page = merchant(ready_shop).get(
        "/embedded/flows/price_drop", headers={"X-Storeflow-Locale": locale}
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert name in text and threshold in text and block in text
    assert 'name="price_drop-min_drop_percent" value="10"' in text
    assert 'name="price_drop-block_recommended" value="y" checked' in text  # a tick box, on
    assert not is_enabled(ready_shop.id, price_drop.KEY)  # off until the merchant says so


def test_back_in_stock_is_on_the_home_page_in_polish(merchant, ready_shop):
    text = merchant(ready_shop).get("/embedded/").get_data(as_text=True)
    assert "Powiadomienia o ponownej dostępności" in text


def test_merchant_clears_a_block_of_the_cart_reminders(merchant, ready_shop):
    data = {
        f"abandoned_cart-{k}": ("y" if v else "") if isinstance(v, bool) else str(v)
        for k, v in abandoned_cart.FLOW.defaults().items()
    }
    for key in ("email_1_delay_minutes", "email_2_delay_minutes", "email_3_delay_minutes"):
        data[f"abandoned_cart-{key}"] = str(int(data[f"abandoned_cart-{key}"]) // 60)
    data["abandoned_cart-inactivity_minutes"] = "1"
    data = {k: v for k, v in data.items() if v != ""}  # a cleared box is not sent
    del data["abandoned_cart-block_last_viewed"]
    response = merchant(ready_shop).post("/embedded/flows/abandoned_cart", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    stored = settings_for(ready_shop.id, abandoned_cart.FLOW)
    assert (stored["block_last_viewed"], stored["block_recommended"]) == (False, True)
