"""Merchant settings: defaults and bounds from the flow's declaration, refused when bad."""

from __future__ import annotations

import pytest

from app.flows import abandoned_cart
from app.flows.engine.settings import (
    SettingError,
    ShopDetailsMissing,
    save_settings,
    settings_for,
)
from app.models import FlowRun, FlowSetting, Shop, ShopScope, db
from app.models.shop_settings import LegalAddress
from tests.conftest import ts

FLOW = abandoned_cart.FLOW


def _stored(shop_id: int) -> FlowSetting | None:
    return ShopScope(shop_id).first(FlowSetting, FlowSetting.flow_key == FLOW.key)


def test_unset_settings_read_as_the_declared_defaults(shop):
    settings = settings_for(shop.id, FLOW)
    assert settings["inactivity_minutes"] == 60
    assert [settings[f"email_{n}_delay_minutes"] for n in (1, 2, 3)] == [60, 1440, 4320]
    assert settings["discount_percent"] == 10
    assert settings["discount_valid_hours"] == 48
    assert settings["holdout_percent"] == 5
    assert settings["frequency_cap_hours"] == 24
    assert (settings["quiet_hours_start"], settings["quiet_hours_end"]) == (21, 8)


def test_valid_settings_are_stored_and_read_back(ready_shop):
    save_settings(ready_shop.id, FLOW, {"discount_percent": 15, "sms": True}, enabled=True)
    db.session.commit()
    settings = settings_for(ready_shop.id, FLOW)
    assert settings["discount_percent"] == 15 and settings["sms"] is True
    assert _stored(ready_shop.id).enabled is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"discount_percent": 80}, "discount_percent must be at most 50, got 80"),
        ({"holdout_percent": -1}, "holdout_percent must be at least 0, got -1"),
        ({"inactivity_minutes": "60"}, "inactivity_minutes must be a whole number"),
        ({"sms": "yes"}, "sms must be true or false"),
        ({"subject_line": "Hi"}, "unknown setting(s) for abandoned_cart: subject_line"),
        (
            {"email_2_delay_minutes": 30},
            "the reminders must come in order",
        ),
    ],
)
def test_a_bad_setting_is_refused_with_a_message_and_never_stored(shop, values, message):
    save_settings(shop.id, FLOW, {"discount_percent": 12})
    db.session.commit()
    with pytest.raises(SettingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        save_settings(shop.id, FLOW, values)
    db.session.rollback()
    assert _stored(shop.id).values == {"discount_percent": 12}


def test_turning_the_flow_off_cancels_its_active_runs(ready_shop):
    save_settings(ready_shop.id, FLOW, {}, enabled=True)
    run = ShopScope(ready_shop.id).add(
        FlowRun(flow_key=FLOW.key, subject_key="cart:x", started_at=ts("2026-11-20T10:00:00"))
    )
    db.session.commit()
    save_settings(ready_shop.id, FLOW, {}, enabled=False)
    db.session.commit()
    db.session.refresh(run)
    assert (run.state, run.end_reason) == ("cancelled", "flow_disabled")


def test_a_marketing_flow_is_not_switched_on_without_the_shops_postal_address(shop):
    with pytest.raises(ShopDetailsMissing) as refused:
        save_settings(shop.id, FLOW, {"discount_percent": 15}, enabled=True)
    assert refused.value.missing == ("legal_address",)
    db.session.rollback()
    assert _stored(shop.id) is None

    shop = db.session.get(Shop, shop.id)
    shop.legal_address = LegalAddress("Sklep, ul. Prosta 1, 00-001 Warszawa")
    save_settings(shop.id, FLOW, {"discount_percent": 15}, enabled=True)
    db.session.commit()
    assert _stored(shop.id).enabled is True


def test_a_flow_already_on_stays_on_when_its_settings_are_saved_without_an_address(ready_shop):
    save_settings(ready_shop.id, FLOW, {}, enabled=True)
    ready_shop.legal_address = LegalAddress("")
    db.session.commit()
    # Its messages wait (the guard defers them); saving other settings is not refused.
    save_settings(ready_shop.id, FLOW, {"discount_percent": 20}, enabled=True)
    db.session.commit()
    assert _stored(ready_shop.id).enabled is True
    assert settings_for(ready_shop.id, FLOW)["discount_percent"] == 20
