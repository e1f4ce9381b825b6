"""Single-use discount codes a flow step offers, created through the shop's connector when the
mail is sent (never earlier: a code nobody receives should not exist in the shop).

A step reads two settings of its flow: ``discount_percent`` and ``discount_valid_hours``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app

from app import connectors
from app.connectors.base import DiscountSpec
from app.flows.engine.definition import Settings
from app.models import Discount, Message, Shop, ShopScope


def discount_code(shop: Shop, message: Message, prefix: str = "BACK") -> str:
    """Unique and stable per message, so a retried step offers the code it already made.

    The message's creation time is part of it: ids alone come back after a database restore
    (or a fresh database against a store that kept its coupons), and the store would then
    answer "code exists" with a coupon made for someone else (seen on a real store)."""
    key = current_app.config["SECRET_KEY"].encode()
    made = message.created_at.isoformat() if message.created_at is not None else ""
    subject = f"discount:{shop.id}:{message.id}:{made}"
    digest = hmac.new(key, subject.encode(), hashlib.sha256).digest()
    return f"{prefix}-" + base64.b32encode(digest).decode()[:10]


def discount_for(
    shop: Shop, message: Message, settings: Settings, now: datetime, *, title: str, prefix: str
) -> Discount:
    """The message's code: the one already made for it, else a new one in the shop."""
    scope = ShopScope(shop.id)
    existing = scope.first(Discount, Discount.message_id == message.id)
    if existing is not None:
        return existing
    spec = DiscountSpec(
        code=discount_code(shop, message, prefix),
        percentage=Decimal(int(settings["discount_percent"])),
        expires_at=now + timedelta(hours=int(settings["discount_valid_hours"])),
        recipient_email=message.recipient,
        title=f"{title} {message.recipient}",
    )
    platform = connectors.get(shop.platform)
    if platform is None:
        raise LookupError(f"no platform {shop.platform!r} is enabled to create discounts")
    result = platform.create_discount(shop, spec)
    if shop.attention.discount_refused_at:
        # The shop makes honest codes again: the merchant page stops asking for a fix.
        shop.attention = replace(shop.attention, discount_refused_at=None, discount_refused="")
    return scope.add(
        Discount(
            code=result.code,
            message_id=message.id,
            recipient=message.recipient,
            kind="percentage",
            amount=spec.percentage,
            expires_at=spec.expires_at,
            platform_discount_id=result.platform_discount_id,
        )
    )


def discount_context(discount: Discount | None) -> dict[str, Any] | None:
    """What a template shows of a code."""
    if discount is None:
        return None
    return {"code": discount.code, "percentage": discount.amount, "expires_at": discount.expires_at}


__all__ = ["discount_code", "discount_context", "discount_for"]
