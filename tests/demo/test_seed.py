from __future__ import annotations

from flask import Flask

from app.demo import seed as demo
from app.emails.preview import preview_email


def test_demo_shop_can_preview_every_step_of_the_cart_sequence(app: Flask) -> None:
    shop = demo.seed()

    for template in ("abandoned_cart_1", "abandoned_cart_2", "abandoned_cart_3"):
        email = preview_email(shop.id, template, "pl")
        assert "ul. Mokotowska 12" in email.text
        assert "Linen shirt" in email.html  # the demo catalog, not the built-in sample
