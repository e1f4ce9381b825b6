"""Typed shop settings: kinds checked with the setting's name, defaults for what is missing,
and rows stored before the types read and written back unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import app
from app.models import Shop, db, missing_for_marketing
from app.models.shop_settings import (
    Branding,
    LegalAddress,
    RecommendationKnobs,
    ReconcileState,
    Sender,
    ShopSettingsError,
    SmsChannel,
    SyncState,
)

# A settings object as rows held it before the typed sections (keys from every module).
STORED = {
    "address": "ul. Prosta 1, 00-001 Warszawa",
    "sender_name": "Sklep",
    "sender_email": "hello@sklep.example",
    "logo_url": "https://sklep.example/logo.png",
    "primary_color": "#0f766e",
    "sms_gateway": "outbox",
    "store_url": "https://sklep.example",
    "merchant_email": "owner@sklep.example",
    "sync": {"state": "importing", "cursor": 8, "rows_done": 8, "operation_id": "gid://1"},
    "reconcile": {"at": "2026-01-01T00:00:00+00:00", "orders": 3, "checkouts": 1},
    "recommendations": {"consumable_categories": ["Coffee"]},
}


def test_every_section_reads_a_row_stored_before_the_types():
    assert LegalAddress.from_json(STORED).text == "ul. Prosta 1, 00-001 Warszawa"
    assert Sender.from_json(STORED) == Sender(name="Sklep", email="hello@sklep.example")
    assert Branding.from_json(STORED).primary_color == "#0f766e"
    assert SmsChannel.from_json(STORED).gateway == "outbox"
    assert SyncState.from_json(STORED).cursor == 8
    assert SyncState.from_json(STORED).is_running
    assert ReconcileState.from_json(STORED).orders == 3
    assert RecommendationKnobs.from_json(STORED).consumable_categories == ("Coffee",)


def test_missing_keys_take_the_defaults():
    assert LegalAddress.from_json({}) == LegalAddress(text="")
    assert not LegalAddress.from_json({}).is_set
    assert Sender.from_json(None) == Sender()
    assert SyncState.from_json({"sync": None}).current == ""
    assert RecommendationKnobs.from_json({}).min_support == 3
    # A stored null is "not set", even where the field takes no None.
    assert SmsChannel.from_json({"sms_gateway": None}).gateway == ""


@pytest.mark.parametrize(
    ("section", "stored", "named"),
    [
        (Sender, {"sender_email": "not-an-email"}, "sender_email"),
        (Sender, {"sender_name": 42}, "sender_name must be text"),
        (Branding, {"primary_color": "teal"}, "primary_color"),
        (Branding, {"logo_url": "javascript:alert(1)"}, "logo_url"),
        (LegalAddress, {"address": ["ul. Prosta 1"]}, "address must be text"),
        (SmsChannel, {"sms_gateway": "carrier-pigeon"}, "sms_gateway"),
        (SyncState, {"sync": {"rows_done": "8"}}, "sync.rows_done must be a whole number"),
        (SyncState, {"sync": "done"}, "sync must be an object"),
        (RecommendationKnobs, {"recommendations": {"per_product": True}}, "per_product"),
    ],
)
def test_a_bad_value_is_refused_with_the_settings_name(section, stored, named):
    with pytest.raises(ShopSettingsError, match=named):
        section.from_json(stored)


def test_sections_round_trip_through_the_stored_json():
    for section in (Sender, Branding, LegalAddress, SmsChannel, SyncState, ReconcileState):
        value = section.from_json(STORED)
        assert section.from_json(value.merged_into({})) == value
    assert SyncState.from_json(STORED).to_json()["operation_id"] == "gid://1"


def test_writing_one_section_keeps_the_others(shop):
    shop.settings = dict(STORED)
    shop.legal_address = LegalAddress("ul. Nowa 2, 00-002 Warszawa")
    db.session.commit()
    stored = db.session.get(Shop, shop.id)
    assert stored.legal_address.text == "ul. Nowa 2, 00-002 Warszawa"
    assert stored.sender.email == "hello@sklep.example"
    assert stored.sync_state.cursor == 8
    assert stored.settings["merchant_email"] == "owner@sklep.example"


def test_assigning_the_wrong_section_is_refused(shop):
    with pytest.raises(ShopSettingsError, match="expected LegalAddress"):
        shop.legal_address = Sender(name="x")


def test_a_shop_without_address_or_name_lacks_both_for_marketing(make_shop):
    bare = make_shop(n=2, name="")
    assert missing_for_marketing(bare) == ["legal_address", "sender"]
    bare.legal_address = LegalAddress("ul. Prosta 1, 00-001 Warszawa")
    bare.sender = Sender(name="Sklep")
    assert missing_for_marketing(bare) == []


def test_store_url_falls_back_to_the_domain(shop):
    assert shop.store_url == f"https://{shop.domain}"
    shop.settings = {"store_url": "https://sklep.example/shop"}
    assert shop.store_url == "https://sklep.example/shop"


def test_only_the_typed_sections_read_or_write_the_stored_json():
    root = Path(app.__file__).parent
    direct = re.compile(r"\bshop\.settings\b|\.settings\.get\(")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.name != "shop_settings.py" and direct.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
