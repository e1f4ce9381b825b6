"""What reaches the flows and listeners: news does, history does not."""

from __future__ import annotations

from datetime import timedelta

from app.demo.labels import DEMO_SENDER
from app.events import types as ev
from app.events.apply import apply
from app.models import Order, ShopScope, db, utcnow
from app.shipping import settings as label_settings
from app.shipping.settings import LabelSettings


def _paid(shop_id: int, order_id: str, at):
    return ev.OrderPaid(
        shop_id=shop_id,
        order_id=order_id,
        customer=ev.Contact(email="ola@example.com"),
        items=(ev.LineItem(product_id="1", unit_price=10),),
        total=10,
        currency="PLN",
        shipping_address={"address1": "Długa 5", "city": "Kraków", "country_code": "PL"},
        created_at=at,
        paid_at=at,
        updated_at=at,
    )


def test_an_order_placed_before_the_shop_connected_is_stored_but_starts_no_label(shop, redis_conn):
    shop.installed_at = utcnow() - timedelta(days=1)
    label_settings.save(shop.id, LabelSettings(enabled=True, trigger="paid", sender=DEMO_SENDER))
    db.session.commit()

    apply(_paid(shop.id, "old-1", shop.installed_at - timedelta(days=200)))
    db.session.commit()
    assert ShopScope(shop.id).first(Order, Order.platform_order_id == "old-1") is not None
    assert redis_conn.llen("rq:queue:labels") == 0

    # The same order placed after the shop connected is news: its label is queued.
    apply(_paid(shop.id, "new-1", utcnow()))
    db.session.commit()
    assert redis_conn.llen("rq:queue:labels") == 1
