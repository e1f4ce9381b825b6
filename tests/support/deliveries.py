"""What became of the stored webhook deliveries (read afresh, in the order they came)."""

from __future__ import annotations

import sqlalchemy as sa

from app.models import WebhookDelivery, db


def delivery_statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery.status).order_by(WebhookDelivery.id)))
