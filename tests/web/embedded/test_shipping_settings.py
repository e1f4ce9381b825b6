"""Courier label settings on the merchant page: the same declared-settings form as a flow's."""

from __future__ import annotations

from app.models import AuditLog, ShopScope
from app.shipping import settings as labels

PREFIX = labels.STORAGE_KEY


def _form(**changes: str) -> dict[str, str]:
    data = {
        f"{PREFIX}-courier": "own",
        f"{PREFIX}-trigger": "paid",
        f"{PREFIX}-label_format": "PDF_A6",
        f"{PREFIX}-tracking_prefix": "SF",
        f"{PREFIX}-sending_method": "parcel_locker",
        f"{PREFIX}-shipping_email": "y",
    }
    data.update({f"{PREFIX}-{k}": v for k, v in changes.items()})
    return data


def test_merchant_turns_labels_on_with_a_courier_and_sender_and_it_is_audited(merchant, shop):
    browser = merchant(shop)
    response = browser.post(
        "/embedded/shipping",
        data=_form(
            enabled="y",
            courier="inpost",
            **{"sender-name": "Sklep", "sender-city": "Kraków", "parcel-weight_kg": "2"},
        ),
    )
    assert response.status_code == 200
    assert "Etykiety kurierskie: zapisano" in response.get_data(as_text=True)
    stored = labels.load(shop.id)
    assert (stored.enabled, stored.courier) == (True, "inpost")
    assert stored.sender == {"name": "Sklep", "city": "Kraków"}
    assert stored.parcel == {"weight_kg": "2"}
    assert stored.shipping_email is True
    entry = ShopScope(shop.id).first(AuditLog, AuditLog.action == "shipping_settings")
    assert entry is not None and entry.details["courier"] == ["own", "inpost"]
    assert 'value="Kraków"' in browser.get("/embedded/store").get_data(as_text=True)


def test_a_courier_nobody_declared_is_refused_and_nothing_stored(merchant, shop):
    response = merchant(shop).post("/embedded/shipping", data=_form(courier="pigeon"))
    assert response.status_code == 400
    assert "Nie zapisano" in response.get_data(as_text=True)  # in the shop's language
    assert labels.load(shop.id) == labels.LabelSettings()


def test_malformed_parcel_defaults_are_refused_with_the_reason(merchant, shop):
    response = merchant(shop).post(
        "/embedded/shipping", data=_form(**{"parcel-weight_kg": "heavy"})
    )
    assert response.status_code == 400
    assert "invalid parcel defaults" in response.get_data(as_text=True)
    assert labels.load(shop.id).parcel == {}
