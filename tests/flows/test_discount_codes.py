"""Discount codes: stable for one message, never the same for two messages."""

from __future__ import annotations

from datetime import UTC, datetime

from app.flows.discounts import discount_code
from app.models import Message, Shop

MADE = datetime(2026, 11, 30, 1, 52, 29, 365191, tzinfo=UTC)


def test_a_retried_step_gets_the_same_code_for_its_message(app):
    shop = Shop(id=1, platform="woocommerce", domain="shop.example")
    message = Message(id=4, created_at=MADE)
    assert discount_code(shop, message) == discount_code(shop, message)
    assert discount_code(shop, message).startswith("BACK-")


def test_a_message_reusing_an_id_after_a_database_restore_gets_another_code(app):
    # A restored (or fresh) database hands out message ids the store's coupons already carry.
    shop = Shop(id=1, platform="woocommerce", domain="shop.example")
    before = discount_code(shop, Message(id=4, created_at=MADE))
    after = discount_code(shop, Message(id=4, created_at=datetime(2026, 12, 2, tzinfo=UTC)))
    assert before != after
