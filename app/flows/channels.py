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

    def is_ready(self, shop: Shop) -> bool:
        """Whether the shop can use this channel at all (e.g. an SMS gateway is configured)."""
        ...

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


def _tracking(message: Message, locale: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Signed open/click/unsubscribe links for the template, and the RFC 8058 headers."""
    from app.emails.tracking import list_unsubscribe_headers, tracking_context

    links = tracking_context(
        message.shop_id, message.id, message.recipient, locale, message.customer_id
    )
    return links, list_unsubscribe_headers(links["unsubscribe_url"])


class EmailChannel:
    def prepare(
        self, shop: Shop, message: Message, template: str, context: dict[str, Any], locale: str
    ) -> Prepared:
        links, headers = _tracking(message, locale)
        branding = shop_branding(shop)
        content = render_email(template, {**context, **links, "shop": branding}, locale)
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

    def is_ready(self, shop: Shop) -> bool:
        return True

    def send(self, prepared: Prepared) -> str:
        return get_sender().send(prepared.payload)

    def was_accepted(self, message: Message) -> bool | None:
        probe = getattr(get_sender(), "was_accepted", None)
        return probe(message.idempotency_key) if probe is not None else None


CHANNELS: dict[str, Channel] = {"email": EmailChannel()}

__all__ = ["CHANNELS", "Channel", "PermanentFailure", "Prepared", "TemporaryFailure"]
