"""The engine's view of the channels: prepare a message, send it, ask whether it went.

Rendering, tracking links and the senders themselves belong to ``app.emails``; this module only
fits them to the engine's step (one dispatch table, one entry per channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app

from app.emails import render_email
from app.emails.senders import OutgoingEmail, PermanentFailure, TemporaryFailure, get_sender
from app.models import Message, Shop


@dataclass(frozen=True)
class Prepared:
    subject: str
    payload: Any  # what the channel's sender takes


class Channel(Protocol):
    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared: ...

    def send(self, prepared: Prepared) -> str: ...

    def was_accepted(self, message: Message) -> bool | None:
        """True/False when the provider can tell whether it holds the message, else None."""
        ...


def shop_branding(shop: Shop) -> dict[str, Any]:
    """What the footer and header need; ``address`` is the postal address the law asks for."""
    settings = shop.settings or {}
    return {
        "name": shop.name,
        "logo_url": settings.get("logo_url"),
        "primary_color": settings.get("primary_color"),
        "sender_name": settings.get("sender_name") or shop.name,
        "address": settings.get("address", ""),
        "currency": shop.currency,
        "timezone": shop.timezone,
    }


def _tracking(shop: Shop, message: Message) -> dict[str, Any]:
    from app.emails import tracking

    return {
        "unsubscribe_url": tracking.unsubscribe_url(message),
        "open_pixel_url": tracking.open_pixel_url(message),
        "click_url": lambda url: tracking.click_url(message, url),
        "headers": tracking.list_unsubscribe_headers(message),
    }


class EmailChannel:
    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        links = _tracking(shop, message)
        headers = links.pop("headers")
        content = render_email(template, {**context, **links, "shop": shop_branding(shop)}, locale)
        branding = shop_branding(shop)
        email = OutgoingEmail(
            to=message.recipient,
            from_addr=(shop.settings or {}).get("sender_email") or current_app.config["MAIL_FROM"],
            from_name=branding["sender_name"],
            subject=content.subject,
            html=content.html,
            text=content.text,
            message_id=message.idempotency_key,
            headers=headers,
        )
        return Prepared(subject=content.subject, payload=email)

    def send(self, prepared: Prepared) -> str:
        return get_sender().send(prepared.payload)

    def was_accepted(self, message: Message) -> bool | None:
        probe = getattr(get_sender(), "was_accepted", None)
        return probe(message.idempotency_key) if probe is not None else None


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}

__all__ = ["CHANNELS", "Channel", "PermanentFailure", "Prepared", "TemporaryFailure"]
