"""Courier label settings are declared like a flow's and stored under their own key."""

from __future__ import annotations

import pytest

from app.flows.engine.definition import SettingError
from app.flows.registry import FLOWS
from app.shipping import settings as labels


def test_label_settings_defaults_are_the_declared_ones():
    declared = {s.key: s.default for s in labels.SHIPPING_SETTINGS}
    assert labels.LabelSettings().as_values() == declared


def test_the_storage_key_is_no_flows_key():
    assert labels.STORAGE_KEY not in {flow.key for flow in FLOWS}


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"sender": {"nickname": "x"}}, "sender has no nickname"),
        ({"courier": "pigeon"}, "courier must be one of"),
        ({"insure": "yes"}, "insure must be true or false"),
        ({"parcel": ["1kg"]}, "parcel must be a group of"),
    ],
)
def test_a_bad_label_setting_is_refused_naming_it_and_nothing_is_stored(shop, values, named):
    with pytest.raises(labels.SettingsError, match=named) as refused:
        labels.save(shop.id, labels.LabelSettings(**{**labels.load(shop.id).as_values(), **values}))
    assert isinstance(refused.value, SettingError)
    assert labels.load(shop.id) == labels.LabelSettings()


def test_saved_values_come_back_through_the_one_reader(shop):
    sender = {"name": "Sklep", "street": "Prosta 1", "city": "Kraków", "postal_code": "30-001"}
    labels.save(shop.id, labels.LabelSettings(enabled=True, courier="inpost", sender=sender))
    stored = labels.load(shop.id)
    assert (stored.enabled, stored.courier, stored.sender) == (True, "inpost", sender)
    assert stored.sender_address().city == "Kraków"
