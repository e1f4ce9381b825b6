"""The demo shop's labels: own labels on payment, and paid demo orders on demand."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from flask import current_app

from app.models import FlowSetting, Shipment, Shop, ShopScope, WebhookDelivery, db, utcnow
from app.pipeline import queues
from app.shipping import links
from app.shipping import settings as label_settings
from app.shipping.tracking import plan_tracking

DEMO_SENDER = {
    "name": "Demo Boutique",
    "street": "Marszałkowska",
    "building_number": "104",
    "city": "Warszawa",
    "postal_code": "00-017",
    "country_code": "PL",
    "phone": "+48221234567",
    "email": "sklep@demo-boutique.example",
}
CUSTOMERS = (
    ("Anna", "Kowalska", "Długa 12", "Kraków", "31-146"),
    ("Piotr", "Wiśniewski", "Piotrkowska 85", "Łódź", "90-423"),
    ("Zofia", "Wójcik", "Świdnicka 3", "Wrocław", "50-066"),
)
# Customers of the Romanian couriers: (first, last, street, locality, postal code, county).
RO_CUSTOMERS = (
    ("Ioana", "Popescu", "Calea Victoriei 12", "Bucuresti", "010063", "Bucuresti"),
    ("Andrei", "Ionescu", "Strada Memorandumului 5", "Cluj-Napoca", "400114", "Cluj"),
    ("Elena", "Munteanu", "Bulevardul Stefan cel Mare 8", "Iasi", "700028", "Iasi"),
)
# The demo's choice of courier, with credentials its fakes accept (app/demo/couriers.py).
DEMO_COURIERS: dict[str, dict[str, object]] = {
    "own": {},
    "fan_courier": {"client_id": 7032158, "username": "clienttest", "password": "testing"},
    "cargus": {
        "subscription_key": "demo",
        "username": "demo",
        "password": "demo",
        "pickup_location_id": 1,
    },
}
ROMANIAN = ("fan_courier", "cargus")


def seed_settings(shop: Shop) -> None:
    """Own labels, created when an order is paid; the caller commits."""
    existing = ShopScope(shop.id).first(
        FlowSetting, FlowSetting.flow_key == label_settings.STORAGE_KEY
    )
    if existing is None:  # never overwrite what the merchant changed
        label_settings.save(
            shop.id,
            label_settings.LabelSettings(
                enabled=True,
                courier="own",
                trigger="paid",
                sender=DEMO_SENDER,
                tracking_prefix="DB",
            ),
        )


def _paid_order(shop: Shop, number: str, cod: bool, now: str) -> dict[str, object]:
    if label_settings.load(shop.id).courier in ROMANIAN:
        first, last, street, city, postal, county = random.choice(RO_CUSTOMERS)
        country = "RO"
    else:
        first, last, street, city, postal = random.choice(CUSTOMERS)
        county, country = "", "PL"
    return {
        "id": f"demo-{number}",
        "number": number,
        "customer": {
            "email": f"{first.lower()}@example.com",
            "first_name": first,
            "last_name": last,
            # As the demo's other shoppers: the cross-sell a delivery starts can be shown.
            "accepts_marketing": True,
        },
        "items": [{"product_id": "1001", "quantity": 1, "price": "189.00", "title": "Linen shirt"}],
        "total": "189.00",
        "currency": shop.currency,
        "payment_method": "cod" if cod else "card",
        "paid": True,
        "shipping_address": {
            "first_name": first,
            "last_name": last,
            "address1": street,
            "city": city,
            "zip": postal,
            "province": county,
            "country_code": country,
            "phone": "600100200",
        },
        "created_at": now,
        "updated_at": now,
    }


def paid_order(shop: Shop, number: str | None, cod: bool) -> dict[str, object]:
    """An order/paid payload for the demo connector, numbered after the ones sent so far."""
    # Deliveries are stored at once (orders only once a worker ran): count those.
    count = len(ShopScope(shop.id).all(WebhookDelivery, WebhookDelivery.topic == "order/paid"))
    return _paid_order(shop, number or str(1001 + count), cod, datetime.now(UTC).isoformat())


def demo_labels_url(shop: Shop) -> str:
    """The demo boutique's label page with its "Pay a demo order" buttons (``views.py``)."""
    token = links.sign("shop", {"shop": shop.id})
    return f"{current_app.config['PUBLIC_URL']}/demo/labels/{token}"


def switch_courier(shop: Shop, courier: str) -> None:
    """The demo shop's labels from now on by ``courier`` (its fake, for FAN and Cargus)."""
    if courier not in DEMO_COURIERS:
        raise ValueError(f"courier must be one of {', '.join(DEMO_COURIERS)}")
    before = label_settings.load(shop.id)
    values = {**before.as_values(), "courier": courier}
    settings = label_settings.LabelSettings(enabled=before.enabled, **values)
    label_settings.save(shop.id, settings, dict(DEMO_COURIERS[courier]) or None)


def track_now(shop: Shop) -> None:
    """Ask the couriers about the demo shop's open parcels at once, not at the next plan."""
    db.session.execute(
        ShopScope(shop.id)
        .update(Shipment, Shipment.next_track_at.is_not(None))
        .values(next_track_at=utcnow())
    )
    queues.enqueue_after_commit(db.session(), plan_tracking, job_id=f"demo-track-{shop.id}")
