"""Shopify shops in our table: found (or created) by domain on install, and all active ones
for the nightly and daily fan-outs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.connectors.shopify import auth
from app.models import Shop, db
from app.pipeline import queues


def find_or_create_shop(domain: str) -> Shop:
    shop = db.session.scalars(
        sa.select(Shop).where(Shop.platform == "shopify", Shop.domain == domain)
    ).first()
    if shop is None:
        shop = Shop(platform="shopify", domain=domain, name=auth.shop_name(domain))
        shop.status = "installing"
        db.session.add(shop)
        db.session.flush()
    return shop


def for_each_active_shop(job: Any, job_prefix: str) -> int:
    """Enqueue ``job(shop_id)`` once per active Shopify shop (daily/nightly fan-out)."""
    ids = db.session.scalars(
        sa.select(Shop.id).where(Shop.platform == "shopify", Shop.status == "active")
    ).all()
    db.session.commit()
    for shop_id in ids:
        queues.enqueue(job, shop_id, job_id=f"{job_prefix}-{shop_id}")
    return len(ids)
